@http
Feature: call tasks, OpenAPI schema validation
  `validate: request | response | both | none` (or CALL_VALIDATE for tasks that say nothing)
  checks an OpenAPI call against its document: a request that breaks the schemas is refused
  before anything is sent, a response that breaks them fails the task with its output kept.
  Errors name the place and the rule, never the value.

  Background:
    Given the API "http://petstore.swagger.io" serves "/v2/openapi.json" from the examples file "3.0/json/petstore.json"

  Scenario: a request body that breaks the schema is refused and never sent
    Given the call task "addPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "addPet", "validate": "request",
       "parameters": {"body": {"name": 42, "photoUrls": [], "status": "${ .variables.status }"}}}
      """
    And the task context is:
      """
      {"variables": {"status": "s3cret-status"}}
      """
    When the call task runs
    Then the task should fail with error "request validation failed: /body/name: must be string (type); /body/status: must be equal to one of the allowed values (enum)"
    And the error should be of type "validation" with status 400
    And the error code should be "REQUEST_VALIDATION_FAILED"
    And the error details should include:
      """
      {"data": {"operation_id": "addPet", "issues": [{"pointer": "/body/name", "rule": "type", "message": "must be string"},
                                                    {"pointer": "/body/status", "rule": "enum", "message": "must be equal to one of the allowed values"}]}}
      """
    And the API should have received 0 requests for "/v2/pet"

  Scenario: CALL_VALIDATE checks every OpenAPI call that says nothing; a missing path parameter is named
    Given the setting CALL_VALIDATE is "both"
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "parameters": {}}
      """
    When the call task runs
    Then the task should fail with error "request validation failed: /path/petId: is required (required)"
    And the API should have received 0 requests for "/v2/pet/1"

  Scenario: a response that breaks the schema fails the task with the output kept
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/1" with status 200 and body '{"id": "one", "name": "Rex", "photoUrls": []}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "validate": "response", "parameters": {"petId": 1}}
      """
    When the call task runs
    Then the task should fail with error "response validation failed: /body/id: must be integer (type)"
    And the error should be of type "validation" with status 502
    And the error code should be "RESPONSE_VALIDATION_FAILED"
    And the output should contain:
      """
      {"status_code": 200, "content": {"id": "one", "name": "Rex"}}
      """
    And the API should have received 1 request for "/v2/pet/1"

  Scenario: a conforming call succeeds with both sides checked
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/1" with status 200 and body '{"id": 1, "name": "Rex", "photoUrls": []}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "validate": "both", "parameters": {"petId": "1"}}
      """
    When the call task runs
    Then the task should succeed

  Scenario: a failed status carries the document's description of it
    Given the API "http://petstore.swagger.io" answers GET "/v2/pet/1" with status 404 and body '{"message": "no"}'
    And the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "parameters": {"petId": 1}}
      """
    When the call task runs
    Then the task should fail with error "HTTP request failed with status 404"
    And the error details should include:
      """
      {"data": {"code": "HTTP_4XX", "response_description": "Pet not found"}}
      """

  Scenario: an unknown validate value is a configuration error
    Given the call task "fetchPet" with:
      """
      {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"},
       "operation_id": "getPetById", "validate": "always", "parameters": {"petId": 1}}
      """
    When the call task runs
    Then the task should fail with error "call configuration validation failed: unsupported validate value: \"always\" (supported: request, response, both, none)"
    And the error should be of type "configuration" with status 400
