.PHONY: run test lint
run:  ## set up, seed the demo data and serve at http://127.0.0.1:5000
	scripts/run.sh
test:  ## set up and run every test
	scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
