"""After `sam build`: each built core layer is at most 150 MB unpacked, and the one for this
machine's architecture imports and runs with nothing but itself, the function's code and the
boto3 the Lambda runtime provides (python -S: no site-packages).

    python scripts/check_layer.py [.aws-sam/build]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

LIMIT_MB = 150.0
RUNTIME_PROVIDES = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py", "jmespath")
CHECK = """
import sys
sys.path[:0] = sys.argv[1:4]
import switchyard_api.handler, switchyard_api.server, switchyard_rescore.handler
from switchyard.classifier import classify
c = classify("Write a SQL query that counts orders per customer.")
assert c.task_type == "coding", c
print("layer ok:", c.task_type, round(c.complexity, 2))
"""


def size_mb(d: Path) -> float:
    return sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) / 1e6


def main(build: Path) -> int:
    failed = False
    for name in ("CoreLayerArm64", "CoreLayerX8664"):
        mb = size_mb(build / name)
        print(f"{name}: {mb:.1f} MB unpacked (limit {LIMIT_MB:.0f})")
        failed |= mb > LIMIT_MB
    layer = build / ("CoreLayerArm64" if platform.machine() in ("aarch64", "arm64") else "CoreLayerX8664")
    import boto3

    site = Path(boto3.__file__).parent.parent
    with tempfile.TemporaryDirectory() as rt:
        for p in RUNTIME_PROVIDES:
            if (site / p).exists():
                os.symlink(site / p, Path(rt) / p)
        env = {**os.environ, "AWS_REGION": "us-east-1", "PYTHONPATH": ""}
        proc = subprocess.run(
            [sys.executable, "-S", "-c", CHECK, str(layer / "python"), str(build / "ApiFunction"), rt],
            env={**env, "PYTHONPATH": str(build / "RescoreFunction")},
            capture_output=True,
            text=True,
        )
    print(proc.stdout.strip() or proc.stderr.strip()[-2000:])
    return 1 if failed or proc.returncode else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
