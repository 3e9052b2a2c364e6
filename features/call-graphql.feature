@http @graphql
Feature: call tasks, GraphQL (a flunq extension)
  `call: graphql` sends one GraphQL operation to `endpoint` as an HTTP POST of
  `{query, variables, operationName}` and reports `{data}`. An answer with `errors` fails the task
  (GRAPHQL_ERRORS) and keeps the partial data in the output. The peer here is graphql-js behind a
  fake HTTP server.

  Background:
    Given the GraphQL API "https://api.example.test" at "/graphql" has the schema:
      """
      type User { id: ID!, name: String! }
      type Query { user(id: ID!): User, version: String, broken: String, whoami: String }
      type Mutation { touch: Int }
      """
    And it answers with the root values:
      """
      {"user": {"id": "7", "name": "Ada"}, "version": "1.2", "broken": "error: the resolver failed", "whoami": "it is s3cret-bearer-token", "touch": 1}
      """

  Scenario: a query with variables returns {data}
    Given the call task "fetchUser" with:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql",
       "query": "query User($id: ID!) { user(id: $id) { name } }", "variables": {"id": "7"}, "operationName": "User"}
      """
    When the call task runs
    Then the task should succeed
    And the API should have received POST "/graphql"
    And the request header "Content-Type" should be "application/json"
    And the request body should be the JSON:
      """
      {"query": "query User($id: ID!) { user(id: $id) { name } }", "variables": {"id": "7"}, "operationName": "User"}
      """
    And the output should equal:
      """
      {"data": {"user": {"name": "Ada"}}}
      """
    And the resolved input should contain:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "operationName": "User"}
      """

  Scenario: the SDL form, with output.as
    Given the call task "version" with:
      """
      {"call": "graphql", "with": {"endpoint": {"uri": "https://api.example.test/graphql"}, "query": "{ version }"},
       "output": {"as": "${ .data.version }"}}
      """
    When the call task runs
    Then the task should succeed
    And the output should equal:
      """
      "1.2"
      """

  Scenario: an answer with errors fails the task and keeps the partial data
    Given the call task "partial" with:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "query": "{ version broken }"}
      """
    When the call task runs
    Then the task should fail with error "GraphQL request returned errors: the resolver failed"
    And the error should be of type "runtime" with status 500
    And the error code should be "GRAPHQL_ERRORS"
    And the error details should include:
      """
      {"data": {"endpoint": "https://api.example.test/graphql", "errors": [{"message": "the resolver failed", "locations": [{"line": 1, "column": 11}], "path": ["broken"]}]}}
      """
    And the output should contain:
      """
      {"data": {"version": "1.2", "broken": null}, "errors": [{"message": "the resolver failed", "locations": [{"line": 1, "column": 11}], "path": ["broken"]}]}
      """

  Scenario: validate: true refuses a field the schema does not have, without running the operation
    Given the call task "checked" with:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "query": "{ user(id: \"7\") { name age } }", "validate": true}
      """
    When the call task runs
    Then the task should fail with error "GraphQL query does not match the schema of https://api.example.test/graphql: Cannot query field \"age\" on type \"User\". Did you mean \"name\"? (line 1, column 24)"
    And the error should be of type "validation" with status 400
    And the error code should be "GRAPHQL_INVALID"
    And the API should have received 1 request

  Scenario: a syntax error is refused before anything is sent
    Given the call task "broken" with:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "query": "{ user(id: \"7\") { name }"}
      """
    When the call task runs
    Then the task should fail with error "invalid GraphQL call: the query is not valid GraphQL: Syntax Error: Expected Name, found <EOF>. (line 1, column 25)"
    And the error should be of type "configuration" with status 400
    And the API should have received 0 requests

  Scenario: the bearer token is sent and redacted from everything published
    Given the call task "whoami" with:
      """
      {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "query": "{ whoami }",
       "authentication": {"bearer": {"token": "s3cret-bearer-token"}}}
      """
    When the call task runs
    Then the task should succeed
    And the request header "Authorization" should be "Bearer s3cret-bearer-token"
    And nothing published should contain "s3cret-bearer-token"
    And the resolved input should not have the key "authentication"

  Scenario: a mutation is sent once when the connection resets; a query is resent by the transport
    Given the API "https://write.example.test" resets the connection for POST "/graphql"
    And the call task "touch" with:
      """
      {"call_type": "graphql", "endpoint": "https://write.example.test/graphql", "query": "mutation { touch }"}
      """
    When the call task runs
    Then the error code should be "NETWORK"
    And the API should have received 1 request
    And transport retries should have been recorded 0 times
    Given the call task "read" with:
      """
      {"call_type": "graphql", "endpoint": "https://write.example.test/graphql", "query": "{ version }"}
      """
    When the call task runs again
    Then the error code should be "NETWORK"
    And the API should have received 4 requests
    And transport retries should have been recorded 2 times

  Scenario: a 5xx answer fails as an HTTP call's does
    Given the API "https://down.example.test" answers POST "/graphql" with status 503 and body '{"message": "maintenance"}'
    And the call task "down" with:
      """
      {"call_type": "graphql", "endpoint": "https://down.example.test/graphql", "query": "{ version }"}
      """
    When the call task runs
    Then the task should fail with error "HTTP request failed with status 503"
    And the error code should be "HTTP_5XX"
    And the output should contain:
      """
      {"status_code": 503, "data": {"message": "maintenance"}}
      """
