"""The app starts, answers its health check and keeps money exact."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.factories import make_campaign, make_line, make_target
from tracker.targets.services import target_total


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_budget_total_is_summed_exactly_in_sql(app):
    target = make_target(make_campaign(), currency="RUB")
    make_line(target, quantity="3", unit_cost="0.10")
    make_line(target, quantity="2.5", unit_cost="1234567.51")
    assert target_total(target).amount == Decimal("3086419.08")


# Heavy or rarely needed libraries: a worker that starts (or `flask --help`) must not pay for
# them; they are imported where a PDF, a spreadsheet, a feed, a narrative or a migration
# is made.
LAZY_LIBRARIES = ("weasyprint", "openpyxl", "icalendar", "markdown_it", "nh3", "alembic",
                  "flask_migrate")


def test_starting_the_app_imports_no_heavy_library(tmp_path):
    # A fresh interpreter: this test process may have imported them already.
    code = ("import sys; from tracker import create_app; create_app(); "
            f"print(','.join(m for m in {LAZY_LIBRARIES!r} if m in sys.modules))")
    env = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, env=env, check=True,
                            timeout=120)
    assert result.stdout.strip() == ""
