@http
Feature: call tasks, legacy HTTP
  `call` with `call_type: http` (or a bare `url`/SDL `endpoint`) sends one HTTP request and
  reports `{status_code, headers, data}`. Non-2xx answers are failed completions, never dead letters.

  Scenario: a GET with headers and query returns the flunq output shape
    Given the API "https://api.example.test" answers GET "/users/7" with status 200 and headers:
      """
      {"Content-Type": "application/json", "x-trace-id": "t-1"}
      """
    And the call task "fetchUser" with:
      """
      {"call_type": "http", "url": "https://api.example.test/users/7", "method": "get",
       "headers": {"X-Correlation-Id": "c-1", "X-Ignored": {"not": "a string"}},
       "query": {"expand": "profile", "limit": 5, "active": true, "tag": ["a", "b"]}}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received GET "/users/7?expand=profile&limit=5&active=true&tag=a&tag=b"
    And the request header "X-Correlation-Id" should be "c-1"
    And the request header "User-Agent" should be "flunq-executor/1.0"
    And the request should have no header "X-Ignored"
    And the request should have no body
    And the request should have no header "Content-Type"
    And the output should equal:
      """
      {"status_code": 200, "headers": {"Content-Type": ["application/json"], "X-Trace-Id": ["t-1"]}, "data": null}
      """
    And the resolved input should contain:
      """
      {"call_type": "http", "url": "https://api.example.test/users/7", "method": "GET"}
      """

  Scenario Outline: the response body becomes data: JSON of any type, or text
    Given the API "https://api.example.test" answers GET "/r" with status 200 and body '<body>'
    And the call task "read" with:
      """
      {"url": "https://api.example.test/r"}
      """
    When the call task runs
    Then the task should succeed
    And the output should contain:
      """
      {"data": <data>}
      """

    Examples:
      | body           | data               |
      | {"id": 7}      | {"id": 7}          |
      | [1, 2]         | [1, 2]             |
      | plain words    | "plain words"      |
      | 42             | 42                 |

  Scenario: a POST sends the body as JSON with its content type
    Given the API "https://api.example.test" answers POST "/pets" with status 201 and body '{"id": 1}'
    And the call task "createPet" with:
      """
      {"call_type": "http", "url": "https://api.example.test/pets", "method": "post", "body": {"name": "Rex", "tags": ["dog"]}}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received POST "/pets"
    And the request body should be the JSON:
      """
      {"name": "Rex", "tags": ["dog"]}
      """
    And the request header "Content-Type" should be "application/json"
    And the output should contain:
      """
      {"status_code": 201, "data": {"id": 1}}
      """

  Scenario: without a body nothing is sent, not even the task input
    Given the API "https://api.example.test" answers DELETE "/pets/1" with status 204 and body ''
    And the call task "removePet" with:
      """
      {"url": "https://api.example.test/pets/1", "method": "DELETE"}
      """
    And the task input is:
      """
      {"secretish": "workflow data that must stay here"}
      """
    When the call task runs
    Then the task should succeed
    And the request should have no body

  Scenario: the SDL form with an endpoint object and expressions
    Given the API "https://api.example.test" answers PUT "/pets/42" with status 200 and body '{"ok": true}'
    And the call task "renamePet" with:
      """
      {"call": "http", "with": {"method": "put", "endpoint": {"uri": "${ \"https://api.example.test/pets/\" + (.input.petId | tostring) }"},
       "body": {"name": "${ .variables.name }"}}}
      """
    And the task context is:
      """
      {"workflow_input": {"petId": 42}, "variables": {"name": "Rex"}}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received PUT "/pets/42"
    And the request body should be the JSON:
      """
      {"name": "Rex"}
      """

  Scenario Outline: a non-2xx answer is a failed completion with the status kind, never a dead letter
    Given the API "https://api.example.test" answers GET "/thing" with status <status> and body '{"message": "no"}'
    And the call task "getThing" with:
      """
      {"url": "https://api.example.test/thing"}
      """
    When the call task runs
    Then the task should fail with error "HTTP request failed with status <status>"
    And the error should be of type "<kind>" with status <status>
    And the output should contain:
      """
      {"status_code": <status>, "data": {"message": "no"}}
      """
    And no dead letter should have been published
    And the API should have received 1 request

    Examples:
      | status | kind           |
      | 400    | validation     |
      | 401    | authentication |
      | 403    | authorization  |
      | 404    | communication  |
      | 503    | communication  |

  Scenario Outline: output modes
    Given the API "https://api.example.test" answers GET "/doc" with status 200 and body 'hi there'
    And the call task "getDoc" with:
      """
      {"url": "https://api.example.test/doc", "output": "<mode>"}
      """
    When the call task runs
    Then the task should succeed
    And the output should contain:
      """
      <expected>
      """

    Examples:
      | mode     | expected                                      |
      | content  | {"status_code": 200, "data": "hi there"}      |
      | response | {"status_code": 200, "body": "hi there"}      |
      | raw      | {"status_code": 200, "body": "aGkgdGhlcmU="}  |

  Scenario: an unknown output mode is a configuration error
    Given the call task "getDoc" with:
      """
      {"url": "https://api.example.test/doc", "output": "xml"}
      """
    When the call task runs
    Then the task should fail with error "call configuration validation failed: unsupported output format: xml (supported: content, response, raw)"
    And the error should be of type "configuration" with status 400

  Scenario: a redirect is not followed and fails unless redirect is true
    Given the API "https://api.example.test" answers GET "/old" with status 302 and headers:
      """
      {"Location": "https://api.example.test/new"}
      """
    And the call task "follow" with:
      """
      {"url": "https://api.example.test/old"}
      """
    When the call task runs
    Then the task should fail with error "HTTP request failed with status 302"
    And the API should have received 1 request

  Scenario: with redirect true the redirect is followed
    Given the API "https://api.example.test" answers GET "/old" with status 301 and headers:
      """
      {"Location": "https://api.example.test/new"}
      """
    And the API "https://api.example.test" answers GET "/new" with status 200 and body '{"moved": true}'
    And the call task "follow" with:
      """
      {"url": "https://api.example.test/old", "redirect": true}
      """
    When the call task runs
    Then the task should succeed
    And the output should contain:
      """
      {"status_code": 200, "data": {"moved": true}}
      """

  Scenario: without a url the call is a configuration error
    Given the call task "broken" with:
      """
      {"call_type": "http", "method": "GET"}
      """
    When the call task runs
    Then the task should fail with error "call configuration validation failed: url is required for HTTP calls"
    And the output should equal:
      """
      {}
      """

  Scenario: unknown call types and shapes
    Given the call task "broken" with:
      """
      {"method": "GET"}
      """
    When the call task runs
    Then the task should fail with error "unable to determine call type from configuration"

  Scenario: an unsupported call type
    Given the call task "broken" with:
      """
      {"call_type": "soap", "url": "https://x.test"}
      """
    When the call task runs
    Then the task should fail with error "call configuration validation failed: unsupported call type: soap"

  Scenario: a refused connection is a retryable communication error
    Given the API "https://down.example.test" refuses connections
    And the call task "ping" with:
      """
      {"url": "https://down.example.test/ping", "method": "POST", "body": {}}
      """
    When the call task runs
    Then the task should fail with an error containing "HTTP request failed: "
    And the error should be of type "communication" with status 503
    And the error code should be "NETWORK"
    And no dead letter should have been published

  Scenario: a POST is never resent after a connection reset
    Given the API "https://api.example.test" resets the connection for POST "/orders"
    And the call task "order" with:
      """
      {"url": "https://api.example.test/orders", "method": "POST", "body": {"item": 1}}
      """
    When the call task runs
    Then the task should fail with an error containing "HTTP request failed"
    And the API should have received 1 request
    And transport retries should have been recorded 0 times

  Scenario: a GET is resent at most twice after connection resets
    Given the API "https://api.example.test" resets the connection for GET "/flaky"
    And the call task "flaky" with:
      """
      {"url": "https://api.example.test/flaky"}
      """
    When the call task runs
    Then the task should fail with an error containing "HTTP request failed"
    And the API should have received 3 requests
    And transport retries should have been recorded 2 times

  Scenario: secrets never reach the completion, the resolved input or the logs
    Given the API "https://api.example.test" answers GET "/me" with status 200 and body '{"echo": "Bearer s3cr3t-token-value"}'
    And the call task "me" with:
      """
      {"url": "https://api.example.test/me",
       "headers": {"Authorization": "Bearer s3cr3t-token-value", "X-Api-Key": "k3y-value-123", "X-Plain": "visible"}}
      """
    When the call task runs
    Then the task should succeed
    And the request header "Authorization" should be "Bearer s3cr3t-token-value"
    And the resolved input should contain:
      """
      {"headers": {"Authorization": "Bearer ***", "X-Api-Key": "***", "X-Plain": "visible"}}
      """
    And no published entry should contain "k3y-value-123"

  Scenario: bearer authentication from an expression, redacted everywhere
    Given the API "https://api.example.test" answers GET "/me" with status 200 and body '{"token": "tok-abcdef"}'
    And the call task "me" with:
      """
      {"url": "https://api.example.test/me", "authentication": {"bearer": {"token": "${ .variables.apiToken }"}}}
      """
    And the task context is:
      """
      {"variables": {"apiToken": "tok-abcdef"}}
      """
    When the call task runs
    Then the task should succeed
    And the request header "Authorization" should be "Bearer tok-abcdef"
    And no published entry should contain "tok-abcdef"

  Scenario: output.as transforms the output with the response as data
    Given the API "https://api.example.test" answers GET "/pets/1" with status 200 and body '{"id": 1, "name": "Rex"}'
    And the call task "getPet" with:
      """
      {"url": "https://api.example.test/pets/1", "output": {"as": {"petName": "${ .data.name }", "code": "${ .status_code }"}}}
      """
    When the call task runs
    Then the task should succeed
    And the output should equal:
      """
      {"petName": "Rex", "code": 200}
      """

  Rule: with CALL_IDEMPOTENCY_KEYS on, a non-idempotent call names its operation in an Idempotency-Key

    Scenario: a POST carries the task's key
      Given the setting CALL_IDEMPOTENCY_KEYS is "true"
      And the API "https://api.example.test" answers POST "/orders" with status 201 and body '{"id": 1}'
      And the call task "order" with:
        """
        {"url": "https://api.example.test/orders", "method": "POST", "body": {"item": 1}}
        """
      When the call task runs
      Then the task should succeed
      And every request should carry the Idempotency-Key of the task, followed by ""

    Scenario: a GET carries no key
      Given the setting CALL_IDEMPOTENCY_KEYS is "true"
      And the API "https://api.example.test" answers GET "/orders/1" with status 200 and body '{"id": 1}'
      And the call task "lookup" with:
        """
        {"url": "https://api.example.test/orders/1", "method": "GET"}
        """
      When the call task runs
      Then the request should have no header "Idempotency-Key"

    Scenario: without the setting no key is sent
      Given the API "https://api.example.test" answers POST "/orders" with status 201 and body '{"id": 1}'
      And the call task "order" with:
        """
        {"url": "https://api.example.test/orders", "method": "POST", "body": {"item": 1}}
        """
      When the call task runs
      Then the request should have no header "Idempotency-Key"

    Scenario: a key the task sets itself is kept
      Given the setting CALL_IDEMPOTENCY_KEYS is "true"
      And the API "https://api.example.test" answers PATCH "/orders/1" with status 200 and body '{"id": 1}'
      And the call task "amend" with:
        """
        {"url": "https://api.example.test/orders/1", "method": "PATCH", "headers": {"idempotency-key": "mine-1"}, "body": {"item": 2}}
        """
      When the call task runs
      Then the request header "Idempotency-Key" should be "mine-1"

    Scenario: every attempt of a try's inner call is the same operation, with the same key
      Given the setting CALL_IDEMPOTENCY_KEYS is "true"
      And the API "https://api.example.test" answers POST "/payments" 2 times with status 503
      And the API "https://api.example.test" answers POST "/payments" with status 201 and body '{"paid": true}'
      And a try task "pay" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "POST", "endpoint": "https://api.example.test/payments", "body": {"amount": 5}}},
          "catch": {"errors": {"with": {"status": 503}}, "retry": {"delay": "PT0S", "limit": {"attempt": {"count": 3}}}}
        }
        """
      When the try task is submitted and runs until it waits or completes
      Then the task should succeed
      And the API should have received 3 requests
      And every request should carry the Idempotency-Key of the task, followed by "/try/0"

