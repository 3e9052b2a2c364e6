Feature: call tasks, gRPC
  `call: grpc` calls one method of a gRPC service described by a `.proto` document (DSL 1.0
  shape: `with.proto`, `with.service`, `with.method`, `with.arguments`). The answer message is the
  output; a status other than OK fails the task with an error a `try` can match (docs/call-grpc.md).
  The gRPC peers here are fakes of the GrpcClient port; test/integration/call-grpc.test.ts runs
  the same calls against a real server.

  Scenario: a unary call with bearer authentication sends the token as metadata and never reports it
    Given the gRPC method "flunq.test.Greeter/SayHello" answers:
      """
      {"message": "Hello, Ada", "id": "42", "mood": "HAPPY"}
      """
    And a "call" task "greet" with parameters:
      """
      {"call": "grpc",
       "with": {"proto": {"endpoint": "https://protos.example.test/greeter.proto"},
                "service": {"name": "flunq.test.Greeter", "host": "greeter.example.test", "port": 50051},
                "method": "SayHello",
                "arguments": {"person": {"name": "${ .input.name }", "id": 42}},
                "authentication": {"bearer": {"token": "grpc-s3cret"}}},
       "output": {"as": "${ {greeting: .message, id: .id} }"}}
      """
    And the task input is:
      """
      {"name": "Ada"}
      """
    When the task is submitted
    Then the task should succeed
    And the output should equal:
      """
      {"greeting": "Hello, Ada", "id": "42"}
      """
    And the gRPC call should carry the arguments:
      """
      {"person": {"name": "Ada", "id": 42}}
      """
    And the gRPC call should carry the metadata "authorization" = "Bearer grpc-s3cret"
    And the gRPC call should go to "greeter.example.test:50051" for tenant "acme" with the document "https://protos.example.test/greeter.proto"
    And the resolved input should contain:
      """
      {"call_type": "grpc", "method": "SayHello"}
      """
    And nothing published should contain "grpc-s3cret"

  Scenario: INVALID_ARGUMENT is a validation error (400) with the status as output, not retried
    Given the gRPC method "flunq.test.Greeter/SayHello" fails with status INVALID_ARGUMENT "person.name is required"
    And a "call" task "greet" with parameters:
      """
      {"call": "grpc",
       "with": {"proto": {"endpoint": "https://protos.example.test/greeter.proto"},
                "service": {"name": "flunq.test.Greeter", "host": "greeter.example.test", "port": 50051},
                "method": "SayHello", "arguments": {}}}
      """
    When the task is submitted
    Then the task should fail with error "gRPC call failed with status INVALID_ARGUMENT (3): person.name is required"
    And the error should be of type "validation" with status 400
    And the error code should be "GRPC_STATUS"
    And the error details should include:
      """
      {"data": {"grpc_status": "INVALID_ARGUMENT", "grpc_code": 3, "service": "flunq.test.Greeter", "method": "SayHello", "target": "greeter.example.test:50051"}}
      """
    And the output should equal:
      """
      {"status": "INVALID_ARGUMENT", "code": 3, "details": "person.name is required", "metadata": {}}
      """
    And the gRPC peer should have received 1 call

  Scenario: a try retries UNAVAILABLE (matched as a 503 communication error) until the service answers
    Given the gRPC method "flunq.test.Greeter/SayHello" fails 2 times with status UNAVAILABLE, then answers:
      """
      {"message": "Hello again"}
      """
    And a try task "greetPatiently" carrying the configuration:
      """
      {
        "try": {"call": "grpc", "with": {"proto": {"endpoint": "https://protos.example.test/greeter.proto"},
                "service": {"name": "flunq.test.Greeter", "host": "greeter.example.test", "port": 50051},
                "method": "SayHello", "arguments": {"person": {"name": "Ada"}}}},
        "catch": {
          "errors": {"with": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication", "status": 503}},
          "retry": {"delay": {"seconds": 1}, "backoff": {"constant": {}}, "limit": {"attempt": {"count": 3}}}
        }
      }
      """
    When the task is submitted
    Then the gRPC peer should have received 1 call
    And no completion should have been published yet
    When the clock advances by 1000 ms
    Then the gRPC peer should have received 2 calls
    When the clock advances by 1000 ms
    Then the gRPC peer should have received 3 calls
    And the task should succeed
    And the output should equal:
      """
      {"message": "Hello again"}
      """

  Scenario: the messages of a server-streaming method are collected into an array
    Given the gRPC method "flunq.test.Greeter/CountTo" answers with the messages:
      """
      [{"n": 1}, {"n": 2}, {"n": 3}]
      """
    And a "call" task "count" with parameters:
      """
      {"call": "grpc",
       "with": {"proto": {"endpoint": "https://protos.example.test/greeter.proto"},
                "service": {"name": "flunq.test.Greeter", "host": "greeter.example.test", "port": 443},
                "method": "CountTo", "arguments": {"to": 3}}}
      """
    When the task is submitted
    Then the task should succeed
    And the output should equal:
      """
      [{"n": 1}, {"n": 2}, {"n": 3}]
      """

  Scenario: a task without a port is refused before anything is sent
    Given the gRPC method "flunq.test.Greeter/SayHello" answers:
      """
      {}
      """
    And a "call" task "greet" with parameters:
      """
      {"call": "grpc",
       "with": {"proto": {"endpoint": "https://protos.example.test/greeter.proto"},
                "service": {"name": "flunq.test.Greeter", "host": "greeter.example.test"},
                "method": "SayHello"}}
      """
    When the task is submitted
    Then the task should fail with error "grpc call: with.service.port must be an integer from 1 to 65535"
    And the error should be of type "configuration" with status 400
    And the gRPC peer should have received 0 calls
