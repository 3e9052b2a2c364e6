@http
Feature: Try tasks around HTTP calls
  The inner task of a `try` is a real `call` (legacy HTTP) against a nock-faked API. Answers
  are real I/O; the delays between attempts run on the fake clock, so each scenario waits
  for the task to be asleep on the clock (or done) before moving time.

  Rule: a caught status is retried in the executor with exact delays

    Scenario: 503 twice, then 200: exactly 3 calls, one second apart, one completion
      Given the API "https://inventory.example.test" answers GET "/stock" 2 times with status 503
      And the API "https://inventory.example.test" answers GET "/stock" with status 200 and body '{"available": 7}'
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {
            "errors": {"with": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication", "status": 503}},
            "retry": {"delay": {"seconds": 1}, "backoff": {"constant": {}}, "limit": {"attempt": {"count": 3}}}
          }
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the API should have been called 1 time so far
      When the clock advances by 999 ms and the try task runs until it waits or completes
      Then the API should have been called 1 time so far
      And no completion should have been published yet
      When the clock advances by 1 ms and the try task runs until it waits or completes
      Then the API should have been called 2 times so far
      When the clock advances by 999 ms and the try task runs until it waits or completes
      Then the API should have been called 2 times so far
      When the clock advances by 1 ms and the try task runs until it waits or completes
      Then the API should have been called 3 times so far
      And the task should succeed
      And the output should contain:
        """
        {"status_code": 200, "data": {"available": 7}}
        """
      And the completion should record 3 attempts with delays "1000, 1000"
      And workflow retries should have been recorded 2 times
      And the completion metadata should report task type "try"
      And the completion should report a duration of 2000 ms
      And exactly one completion should exist for the task

    Scenario: retries used up: the last error and the last output
      Given the API "https://inventory.example.test" answers GET "/stock" 2 times with status 503
      And the API "https://inventory.example.test" answers GET "/stock" with status 504 and body '{"error": "gateway timeout"}'
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {
            "errors": {"with": {"status": [503, 504]}},
            "retry": {"delay": "PT0.5S", "backoff": {"exponential": {}}, "limit": {"attempt": {"count": 3}}},
            "do": [{"fallback": {"set": {"available": 0}}}]
          }
        }
        """
      When the try task is submitted and runs until it waits or completes
      And the clock advances by 500 ms and the try task runs until it waits or completes
      And the clock advances by 1 s and the try task runs until it waits or completes
      Then the API should have been called 3 times so far
      And the task should fail with error "HTTP request failed with status 504"
      And the error should be of type "communication" with status 504
      And the output should contain:
        """
        {"status_code": 504, "data": {"error": "gateway timeout"}}
        """
      And the output should not have the key "available"
      And the error details should record 3 attempts with delays "500, 1000"

    Scenario: flunq's OpenAPI shape: operationId, output.as, and a 503 filter on the type and status
      Given the API "https://inventory.example.test" answers GET "/openapi.json" with status 200 and body:
        """
        {"openapi": "3.0.3", "info": {"title": "Inventory", "version": "1"},
         "servers": [{"url": "https://inventory.example.test/api"}],
         "paths": {"/inventory": {"get": {"operationId": "getInventory", "responses": {"200": {"description": "ok"}}}}}}
        """
      And the API "https://inventory.example.test" answers GET "/api/inventory" 2 times with status 503
      And the API "https://inventory.example.test" answers GET "/api/inventory" with status 200 and body '{"available": 7}'
      And a try task "countStock" carrying the configuration:
        """
        {
          "try": {"call": "openapi",
                  "with": {"document": {"endpoint": "https://inventory.example.test/openapi.json"}, "operationId": "getInventory", "parameters": {}},
                  "output": {"as": {"count": "${ .content.available }"}}},
          "catch": {
            "errors": {"with": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication", "status": 503}},
            "as": "error",
            "retry": {"delay": {"seconds": 1}, "backoff": {"constant": {}},
                      "limit": {"attempt": {"count": 3, "duration": {"minutes": 1}}, "duration": {"minutes": 5}},
                      "jitter": {"from": {"milliseconds": 100}, "to": {"milliseconds": 500}}}
          }
        }
        """
      When the try task is submitted and runs until it waits or completes
      And the clock advances by 1500 ms and the try task runs until it waits or completes
      And the clock advances by 1500 ms and the try task runs until it waits or completes
      Then the task should succeed
      And the output should equal:
        """
        {"count": 7}
        """
      And the completion should record 3 attempts
      And every retry delay should be between 1100 and 1499 ms

  Rule: only matching errors are caught

    Scenario: a 404 does not match a 503 filter: one call, the inner error and output
      Given the API "https://inventory.example.test" answers GET "/stock" with status 404 and body '{"error": "no such item"}'
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {"errors": {"with": {"status": 503}}, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the API should have been called 1 time so far
      And the task should fail with error "HTTP request failed with status 404"
      And the output should contain:
        """
        {"status_code": 404, "data": {"error": "no such item"}}
        """

    Scenario: a refused connection reaches the catch too
      Given the API "https://inventory.example.test" refuses connections
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {"errors": {"with": {"type": "communication$"}}, "as": "outage"}
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the task should succeed
      And the output should contain:
        """
        {"outage": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication"}}
        """

    Scenario: a reset connection is retried by the try policy alone: attempts never multiply
      Given the API "https://inventory.example.test" resets the connection for GET "/stock"
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {
            "errors": {"with": {"type": "communication$"}},
            "retry": {"delay": {"seconds": 1}, "backoff": {"constant": {}}, "limit": {"attempt": {"count": 3}}}
          }
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the API should have been called 1 time so far
      When the clock advances by 1 s and the try task runs until it waits or completes
      Then the API should have been called 2 times so far
      When the clock advances by 1 s and the try task runs until it waits or completes
      Then the API should have been called 3 times so far
      And the task should fail with an error containing "HTTP request failed"

    Scenario: credentials of the inner call appear in no completion, whatever the outcome
      Given the API "https://inventory.example.test" answers GET "/stock" 2 times with status 401
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock",
                                           "authentication": {"bearer": {"token": "tok-7f3a9c51e2"}}, "headers": {"X-Api-Key": "key-0c1d2e3f4a"}}},
          "catch": {"errors": {"with": {"status": 401}}, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 2}}}}
        }
        """
      When the try task is submitted and runs until it waits or completes
      And the clock advances by 1 s and the try task runs until it waits or completes
      Then the task should fail with error "HTTP request failed with status 401"
      And the error should be of type "authentication" with status 401
      And no published entry should contain "tok-7f3a9c51e2"
      And no published entry should contain "key-0c1d2e3f4a"

  Rule: recovery and SDL shapes work with calls

    Scenario: a recovery call gets the caught error in its parameters
      Given the API "https://inventory.example.test" answers GET "/stock" with status 503 and body '{}'
      And the API "https://alerts.example.test" answers POST "/alerts" with status 202 and body '{"queued": true}'
      And a try task "checkStock" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://inventory.example.test/stock"}},
          "catch": {"do": {"alert": {"task_type": "call", "config": {"parameters": {
            "call_type": "http", "method": "POST", "url": "https://alerts.example.test/alerts",
            "body": {"status": "${ .error.status }", "detail": "${ $error.detail }"}
          }}}}}
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the API should have been called 2 times so far
      And the request body should be the JSON:
        """
        {"status": 503, "detail": "HTTP request failed with status 503"}
        """
      And the task should succeed
      And the output should contain:
        """
        {"status_code": 202, "data": {"queued": true}}
        """

    Scenario: the SDL task list with endpoint and output.as, configured in config.parameters
      Given the API "https://inventory.example.test" answers GET "/stock" with status 200 and body '{"available": 7, "reserved": 2}'
      And a "try" task "checkStock" with parameters:
        """
        {
          "try": [{"fetch": {"call": "http", "with": {"method": "get", "endpoint": {"uri": "https://inventory.example.test/stock"}},
                             "output": {"as": {"free": "${ .data.available - .data.reserved }"}}}}],
          "catch": {"retry": {"delay": "PT1S", "limit": {"attempt": {"count": 2}}}}
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the task should succeed
      And the output should equal:
        """
        {"free": 5}
        """

  Rule: the HTTP examples of the try tasks documentation (docs/try-tasks.md) do what it says

    Scenario: retry a 503, then fail with the last error
      Given the API "https://httpbin.org" answers GET "/status/503" 3 times with status 503
      When the documented example "Retry a 503, then fail with the last error" is submitted and runs until it waits or completes
      And the clock advances by 1 s and the try task runs until it waits or completes
      And the clock advances by 1 s and the try task runs until it waits or completes
      Then the API should have been called 3 times so far
      And the task should fail with error "HTTP request failed with status 503"
      And the error details should record 3 attempts with delays "1000, 1000"
      And the retries should have stopped because "attempt limit of 3 reached"

    Scenario: a filter that does not match
      Given the API "https://httpbin.org" answers GET "/status/404" with status 404 and body ''
      When the documented example "A filter that does not match fails with the inner error" is submitted and runs until it waits or completes
      Then the API should have been called 1 time so far
      And the task should fail with error "HTTP request failed with status 404"

    Scenario: SDL task list and output.as
      Given the API "https://httpbin.org" answers GET "/get" with status 200 and body '{"url": "https://httpbin.org/get", "args": {}}'
      When the documented example "SDL task list and `output.as`, configured in `config.parameters`" is submitted and runs until it waits or completes
      Then the task should succeed
      And the output should equal:
        """
        {"origin_url": "https://httpbin.org/get"}
        """
