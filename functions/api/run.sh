#!/bin/sh
# The streaming shape's handler: the Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs this script in the function's init phase and proxies invocations to the app on
# 127.0.0.1:$AWS_LWA_PORT. The layer's packages are on PYTHONPATH (/opt/python).
exec python3 -m switchyard_api.server
