"""`import xstore` and `xstore --help` must not import torch, transformers or textattack."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "textattack")


def test_import_and_cli_stay_light():
    code = (
        "import sys, xstore, xstore.cli, xstore.planner, xstore.fill, xstore.named, xstore.spec\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(xstore.cli.app, ['--help'])\n"
        "assert result.exit_code == 0 and 'fill' in result.output, result.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
