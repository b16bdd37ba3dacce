"""Filesystem locations the app needs: the repository's templates/ and instance/ folders."""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = str(PROJECT_ROOT / "templates")
INSTANCE_DIR = str(PROJECT_ROOT / "instance")
