"""Row findings (partner issues, import rejects) in French from the catalogue, the English line only as a last resort."""
from app.messages import render_issue
from partners.importer import Reject
from partners.model import Issue
from partners.validation import check_type, ValidationError


def test_a_coded_issue_gives_the_catalogue_sentence():
    try:
        check_type("XYZ")
    except ValidationError as exc:
        issue = Issue("error", exc.field, str(exc), exc.code, dict(exc.params))
    text = render_issue(issue)
    assert text.startswith("type de partenaire « XYZ » inconnu ; types possibles : CPTS")
    assert "unknown" not in text


def test_a_reject_without_code_or_with_an_unknown_code_keeps_its_line():
    assert render_issue(Reject(4, "error", "duplicate of row 2 (same FINESS 690001128)")) == \
        "duplicate of row 2 (same FINESS 690001128)"
    assert render_issue(Issue("warning", "x", "some English line", "no.such.code")) == "some English line"
    coded = Reject(4, "error", "English", code="partners.all_rejected", params={"file": "a.csv", "count": 3})
    assert render_issue(coded) == "a.csv : aucune ligne importée, les 3 ligne(s) lues sont toutes rejetées"
