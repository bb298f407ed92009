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
	go build -o bin/ ./...

up: build
	bin/pushnctl up

test: bootstrap
	@scripts/test

bench: bootstrap
	@scripts/bench $(NAME)

# clean removes build output and the local platform's data.
clean:
	rm -rf bin .pushnchat
