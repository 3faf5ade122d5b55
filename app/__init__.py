"""secteurs' user interfaces: the Streamlit pages and the ``secteurs`` command line.

Both are thin: they read inputs, call :mod:`geo` and :mod:`partners`, and show results.
"""
