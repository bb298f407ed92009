# PushNchat — the two commands a new engineer needs:
#   make up     installs what is missing, builds, runs the local platform
#   make test   installs what is missing, runs every check and test
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export PUSHNCHAT_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pushnchat

.PHONY: up test bootstrap build bench clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@mkdir -p bin
	# The platform's commands only: the benchmarks' mains (bench/…) have
	# the same names (bench/router is not the router).
	go build -o bin/ ./cell/cmd/... ./control-plane/cmd/... ./router/cmd/...
	cd web && NEXT_TELEMETRY_DISABLED=1 npm run --silent build

up: build
	bin/pushnctl up

test: bootstrap
	@scripts/test

bench: bootstrap
	@scripts/bench $(NAME)

# clean removes build output and the local platform's data, with the
# PostgreSQL clusters kept outside the checkout when its parents are
# private (see internal/devstack/postgres.go).
clean:
	@find .pushnchat -maxdepth 3 -type l 2>/dev/null | while read -r l; do rm -rf -- "$$(readlink -f -- "$$l")"; done
	rm -rf bin .pushnchat
