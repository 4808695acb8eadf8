# The README's commands. `make test` is what CI runs after installing the test dependencies.
.PHONY: example test lint bench bench-serve

example:
	python -m hubgen build

lint:
	ruff check .
	ruff format --check .
	mypy
	bandit -q -c pyproject.toml -r hubgen

test: lint
	python -m pytest

bench:
	python benchmarks/run.py

bench-serve:
	python benchmarks/serve.py
