"""The data a new case's workflow starts with: what registration gives the gateways to read."""
from app.models.dispute_case import SOURCES


def workflow_start_data(number: str, title: str, category_code: str, source: str) -> dict:
    """Opening a case starts its workflow with this; the designer's dry run starts diagrams with it too."""
    return {
        "case_number": number,
        "title": title,
        "category": category_code,
        "source": source,
        "violence_risk": False,
        "tier": 1,
        "result": "",
        "judicial_confirmation": False,
    }


def sample_start_data(category_codes: list[str]) -> list[dict]:
    """What new cases may start with: a plain case, then one per other source and per other category."""
    categories = category_codes or [""]
    base = workflow_start_data("JF-2026-000001", "示例案件", categories[0], SOURCES[0])
    return ([base] + [{**base, "source": source} for source in SOURCES[1:]]
            + [{**base, "category": code} for code in categories[1:]])
