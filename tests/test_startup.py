"""What ``crm`` loads when it starts: the heavy libraries only the fits and counts need stay unloaded."""

import subprocess
import sys


def test_the_cli_starts_without_scipy_or_statsmodels():
    code = ("import sys, crmcli.cli; "
            "print(sorted(m for m in ('scipy', 'statsmodels', 'duckdb', 'pyspark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_lazy_clv_names_all_resolve():
    import crmcli.clv as clv

    for name in clv.__all__:
        assert getattr(clv, name) is not None
