"""Uploaded files go through :func:`checked` before any page reads them: size limit, French refusal."""
from __future__ import annotations

import streamlit as st

from app.serving import check_upload_size
from geo.access import AccessError


def checked(upload):
    """``upload`` if it is within the size limit; else shows why and returns ``None``."""
    if upload is None:
        return None
    try:
        check_upload_size(upload.name, upload.size)
    except AccessError as exc:
        from app.messages import render

        st.error(render(exc))
        return None
    return upload
