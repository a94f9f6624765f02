# Convenience wrappers; the scripts are the source of truth.
.PHONY: run test build bench asan tsan clean
bench:
	bash scripts/bench.sh
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
build:
	bash scripts/build.sh dev
asan:
	bash scripts/deps.sh test && bash scripts/build.sh asan && cd build/asan && ctest --output-on-failure -j2 -E 'e2e|pg_tests'
tsan:
	bash scripts/deps.sh test && bash scripts/build.sh tsan component_tests && build/tsan/tests/component_tests --gtest_filter='Dispatcher*'
clean:
	rm -rf build
