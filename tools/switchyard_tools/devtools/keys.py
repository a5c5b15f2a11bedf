"""The development key: what the committed events carry and the local stack registers."""

LOCAL_TEST_KEY = "sy-local-test-key-do-not-deploy"
