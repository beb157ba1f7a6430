"""The demo as a Python API (`keras_resnet.demo.run.run_demo`), which
`resnet demo` and `make demo` call: train, test, export, check, report."""
