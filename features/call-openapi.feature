@http
Feature: call tasks, OpenAPI operations
  `call_type: openapi` loads the document, finds the operation by id, builds the request from
  the parameters (runtime expressions included), authenticates it and reports
  `{status_code, headers, request, content|body}` with secrets redacted.

  Background:
    Given the API "http://petstore.swagger.io" serves "/v2/openapi.json" from the examples file "3.0/json/petstore.json"

  Scenario: getPetById from the published Petstore, with expressions and bearer authentication
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/42" with status 200 and body '{"id": 42, "name": "Rex"}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "parameters": {"petId": "${ .input.petId }", "unknown": "dropped"},
       "authentication": {"type": "bearer", "config": {"token": "${ .variables.token }"}}}
      """
    And the task context is:
      """
      {"workflow_input": {"petId": 42}, "variables": {"token": "t0ken-from-vars"}}
      """
    When the call task runs
    Then the task should succeed
    And the request header "Authorization" should be "Bearer t0ken-from-vars"
    And the request header "User-Agent" should be "flunq-executor/1.0"
    And the output should equal:
      """
      {"status_code": 200, "headers": {"Content-Type": ["application/json"]}, "content": {"id": 42, "name": "Rex"},
       "request": {"method": "GET", "url": "http://petstore.swagger.io/v2/pet/42", "operation_id": "getPetById",
                   "headers": {"User-Agent": "flunq-executor/1.0", "Accept": "application/json, application/xml", "Authorization": "Bearer ***"}}}
      """
    And the resolved input should contain:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "parameters": {"petId": 42, "unknown": "dropped"}}
      """
    And the resolved input should not have the key "authentication"
    And the completion output should not contain "t0ken-from-vars"

  Scenario Outline: output formats
    Given the API "http://petstore.swagger.io" answers GET "/v2/store/inventory" with status 200 and body '{"sold": 1}'
    And the call task "inventory" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getInventory", "output": "<format>"}
      """
    When the call task runs
    Then the task should succeed
    And the output should contain:
      """
      <expected>
      """
    And the output should not have the key "<absent>"

    Examples:
      | format   | expected                                          | absent  |
      | content  | {"status_code": 200, "content": {"sold": 1}}      | body    |
      | response | {"status_code": 200, "body": "{\"sold\": 1}"}     | content |
      | raw      | {"status_code": 200, "body": "eyJzb2xkIjogMX0="}  | content |

  Scenario Outline: a non-2xx answer is a failed completion with the output, never a dead letter
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/1" with status <status> and body '{"message": "no"}'
    And the call task "fetchPet" with:
      """
      {"document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPetById", "parameters": {"petId": 1}}
      """
    When the call task runs
    Then the task should fail with error "HTTP request failed with status <status>"
    And the error should be of type "<kind>" with status <status>
    And the output should contain:
      """
      {"status_code": <status>, "content": {"message": "no"}, "request": {"url": "http://petstore.swagger.io/v2/pet/1"}}
      """
    And no dead letter should have been published

    Examples:
      | status | kind           |
      | 401    | authentication |
      | 403    | authorization  |
      | 404    | communication  |
      | 500    | communication  |

  Scenario: an unknown operation names the existing ones
    Given the call task "x" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPet"}
      """
    When the call task runs
    Then the task should fail with an error containing "OpenAPI operation failed: failed to resolve operation: operation with id 'getPet' not found (available: addPet, updatePet, findPetsByStatus"
    And the error should be of type "configuration" with status 400
    And the output should equal:
      """
      {}
      """

  Scenario: a required parameter whose expression yields null is missing
    Given the call task "x" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "parameters": {"petId": "${ .input.nothing }"}}
      """
    When the call task runs
    Then the task should fail with error "OpenAPI operation failed: failed to build request: required parameter 'petId' is missing"
    And the error should be of type "validation" with status 400

  Scenario: a JSON body with nested expressions, an API key in a cookie, and a query array
    Given the API "http://petstore.swagger.io" answers POST "/v2/pet" with status 200 and body '{"id": 9}'
    And the call task "addPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "addPet",
       "parameters": {"body": {"name": "${ .variables.name }", "photoUrls": ["${ .variables.photo }"]}},
       "authentication": {"type": "apikey", "config": {"key": "session", "value": "c00kie-secret", "in": "cookie"}}}
      """
    And the task context is:
      """
      {"variables": {"name": "Rex", "photo": "http://p/1.png"}}
      """
    When the call task runs
    Then the task should succeed
    And the request body should be the JSON:
      """
      {"name": "Rex", "photoUrls": ["http://p/1.png"]}
      """
    And the request header "Content-Type" should be "application/json"
    And the request header "Cookie" should be "session=c00kie-secret"
    And the output should contain:
      """
      {"request": {"method": "POST", "body": {"name": "Rex", "photoUrls": ["http://p/1.png"]}, "headers": {"Cookie": "***"}}}
      """
    And no published entry should contain "c00kie-secret"

  Scenario: the query array is exploded and path values are percent-encoded
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/findByStatus" with status 200 and body '[]'
    And the API "http://petstore.swagger.io" answers GET "/v2/user/a%2Fb%20c" with status 200 and body '{}'
    And the call task "find" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "findPetsByStatus",
       "parameters": {"status": ["available", "sold"]}}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received GET "/v2/pet/findByStatus?status=available&status=sold"
    Given the call task "user" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getUserByName",
       "parameters": {"username": "a/b c"}}
      """
    When the call task runs again
    Then the task should succeed
    And the API should have received GET "/v2/user/a%2Fb%20c"

  Scenario: the document is fetched once within the cache TTL and again after it
    Given the API "http://petstore.swagger.io" answers GET "/v2/store/inventory" 3 times with status 200
    And the call task "inventory" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getInventory"}
      """
    When the call task runs
    And the call task runs again
    Then the API should have received 1 request for "/v2/openapi.json"
    Given the API "http://petstore.swagger.io" serves "/v2/openapi.json" from the examples file "3.0/json/petstore.json"
    When the clock advances by 301 s
    And the call task runs again
    Then the task should succeed
    And the API should have received 2 requests for "/v2/openapi.json"

  Scenario: a document that cannot be fetched
    Given the API "https://docs.example.test" fails "/missing.json" with status 404
    And the call task "x" with:
      """
      {"call_type": "openapi", "document": {"endpoint": {"uri": "https://docs.example.test/missing.json"}}, "operation_id": "getPetById"}
      """
    When the call task runs
    Then the task should fail with error "OpenAPI operation failed: failed to load document: failed to fetch document: HTTP 404"

  Scenario: a YAML document served as text, with path-level and $ref parameters, a relative server and server variables
    Given the API "https://docs.example.test" serves "/specs/api.yaml" as "text/plain":
      """
      # A small API written by hand
      openapi: 3.1.0
      info: {title: t, version: '1'}
      servers:
        - url: /{version}/api
          variables:
            version: {default: v3}
      components:
        parameters:
          Trace:
            name: X-Trace
            in: header
            required: true
            schema: {type: string}
      paths:
        /items/{itemId}:
          summary: one item
          parameters:
            - name: itemId
              in: path
              required: true
              schema: {type: integer}
          get:
            operationId: getItem
            parameters:
              - $ref: '#/components/parameters/Trace'
              - name: fields
                in: query
                style: form
                explode: false
                schema: {type: array, items: {type: string}}
      """
    And the API "https://docs.example.test" answers GET "/v3/api/items/5" with status 200 and body '{"ok": true}'
    And the call task "item" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "https://docs.example.test/specs/api.yaml"}, "operation_id": "getItem",
       "parameters": {"itemId": 5, "X-Trace": "tr-1", "fields": ["a", "b"]}}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received GET "/v3/api/items/5?fields=a,b"
    And the request header "X-Trace" should be "tr-1"

  Scenario: a Swagger 2.0 YAML document sends its body parameter
    Given the API "http://petstore.swagger.io" serves "/v2/swagger.yaml" from the examples file "2.0/yaml/petstore.yaml"
    And the API "http://petstore.swagger.io" answers POST "/v2/store/order" with status 200 and body '{"id": 1, "status": "placed"}'
    And the call task "order" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/swagger.yaml"}, "operation_id": "placeOrder",
       "parameters": {"body": {"petId": 7, "quantity": 1}}}
      """
    When the call task runs
    Then the task should succeed
    And the request body should be the JSON:
      """
      {"petId": 7, "quantity": 1}
      """

  Scenario: output_config.as in the task input replaces the output (flunq form)
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/3" with status 200 and body '{"id": 3, "name": "Rex"}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPetById", "parameters": {"petId": 3}}
      """
    And the task input is:
      """
      {"output_config": {"as": {"petName": "${ .content.name }", "status": "${ .status_code }"}}}
      """
    When the call task runs
    Then the task should succeed
    And the output should equal:
      """
      {"petName": "Rex", "status": 200}
      """

  Scenario: a bare output_config.as expression is keyed by the task name
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/3" with status 200 and body '{"id": 3, "name": "Rex"}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPetById", "parameters": {"petId": 3}}
      """
    And the task input is:
      """
      {"output_config": {"as": "${ .content }"}}
      """
    When the call task runs
    Then the task should succeed
    And the output should equal:
      """
      {"fetchPet": {"id": 3, "name": "Rex"}}
      """

  Scenario: a 3xx counts as success only with redirect true
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/5" with status 304 and body ''
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPetById", "parameters": {"petId": 5}, "redirect": true}
      """
    When the call task runs
    Then the task should succeed
    And the output should contain:
      """
      {"status_code": 304, "content": null}
      """

  Scenario Outline: authentication configuration errors keep Go's texts
    Given the call task "x" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getInventory", "authentication": <auth>}
      """
    When the call task runs
    Then the task should fail with error "OpenAPI operation failed: failed to apply authentication: <error>"

    Examples:
      | auth                                                        | error                                                    |
      | {"type": "bearer", "config": {}}                            | bearer token is required for bearer authentication       |
      | {"basic": {"username": "u"}}                                | username and password are required for basic authentication |
      | {"type": "apikey", "config": {"key": "k"}}                  | key and value are required for API key authentication   |
      | {"type": "apikey", "config": {"key": "k", "value": "v", "in": "body"}} | unsupported API key location: body            |
      | {"type": "digest", "config": {}}                            | unsupported authentication type: digest                  |
