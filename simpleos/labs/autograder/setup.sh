#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image: Python, gcc, and the grader
# (the SimpleOS in this zip, installed with pip). Written by `simpleos lab gradescope`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-dev gcc git > /dev/null
python3 -m venv /autograder/simpleos-venv
/autograder/simpleos-venv/bin/pip install -q --upgrade pip setuptools wheel
/autograder/simpleos-venv/bin/pip install -q /autograder/source/simpleos
