@http
Feature: call tasks, AsyncAPI operations and channels
  `call: asyncapi` loads an AsyncAPI 3.0 or 2.6 document, finds the operation (3.0) or channel
  (2.6), checks the message against the document's schemas, and publishes it on one of the
  document's servers. When the operation declares a `reply`, or the task gives a `subscription`,
  it waits for the correlated reply and reports `{message: {payload, headers}}`; otherwise it
  reports `{published: {…}}`. The brokers here are the in-memory fake of the test profile.

  Background:
    Given the API "http://docs.example" serves "/orders.yaml" as "application/yaml":
      """
      asyncapi: 3.0.0
      info: {title: Orders, version: 1.0.0}
      servers:
        rabbit: {host: 'rabbit.internal:5672', protocol: amqp}
        nats: {host: 'nats-{zone}.internal:4222', protocol: nats, variables: {zone: {default: a, enum: [a, b]}}}
      channels:
        orders:
          address: orders.placed
          messages:
            order:
              payload:
                type: object
                required: [id, quantity]
                properties:
                  id: {type: string}
                  quantity: {type: integer, minimum: 1}
        confirmations:
          address: null
          messages:
            confirmation: {payload: {type: object}}
      operations:
        placeOrder:
          action: send
          channel: {$ref: '#/channels/orders'}
          messages: [{$ref: '#/channels/orders/messages/order'}]
          reply:
            channel: {$ref: '#/channels/confirmations'}
        notifyOrder:
          action: send
          channel: {$ref: '#/channels/orders'}
          messages: [{$ref: '#/channels/orders/messages/order'}]
      """

  Scenario: publish to an operation and wait for the correlated reply, shaped by output.as
    Given the broker answers messages on "orders.placed" with:
      """
      {"payload": {"confirmed": "o-42", "eta": "tomorrow"}, "headers": {"x-by": "orders-service"}}
      """
    And the call task "placeOrder" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "placeOrder",
                "message": {"payload": {"id": "${ .input.orderId }", "quantity": 2}, "headers": {"x-tier": "gold"}}},
       "output": {"as": "${ {order: .message.payload.confirmed, by: .message.headers[\"x-by\"]} }"}}
      """
    And the task context is:
      """
      {"workflow_input": {"orderId": "o-42"}}
      """
    When the asyncapi call task runs
    Then the task should succeed
    And the output should equal:
      """
      {"order": "o-42", "by": "orders-service"}
      """
    And the broker should have received on "orders.placed":
      """
      {"payload": {"id": "o-42", "quantity": 2}, "headers": {"x-tier": "gold"}}
      """
    And the broker should have been "amqp" at "rabbit.internal:5672"
    And the resolved input should contain:
      """
      {"call_type": "asyncapi", "document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "placeOrder"}
      """

  Scenario: publish only, on the server and with the variables the task names
    Given the call task "notify" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "notifyOrder",
                "server": {"name": "nats", "variables": {"zone": "b"}}, "message": {"payload": {"id": "o-1", "quantity": 1}}}}
      """
    When the asyncapi call task runs
    Then the task should succeed
    And the output should equal:
      """
      {"published": {"operation": "notifyOrder", "server": "nats", "protocol": "nats", "address": "orders.placed"}}
      """
    And the broker should have been "nats" at "nats-b.internal:4222"

  Scenario: a payload that does not match the schema is refused before anything is sent
    Given the call task "placeOrder" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "notifyOrder", "message": {"payload": {"id": "o-1", "quantity": "lots-of-secret-stuff"}}}}
      """
    When the asyncapi call task runs
    Then the task should fail with error "asyncapi call failed: message does not match 'order': payload /quantity: must be integer (type)"
    And the error should be of type "validation" with status 400
    And the error code should be "MESSAGE_INVALID"
    And the broker should have received nothing
    And the error should not mention "lots-of-secret-stuff"

  Scenario: an unknown operation names the ones the document has
    Given the call task "cancel" with:
      """
      {"call": "asyncapi", "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "cancelOrder", "message": {"payload": {}}}}
      """
    When the asyncapi call task runs
    Then the task should fail with error "asyncapi call failed: unknown operation 'cancelOrder' (operations in the document: placeOrder, notifyOrder)"
    And the error should be of type "configuration" with status 400

  Scenario: no reply within the task's time is a timeout
    Given the call task "placeOrder" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "placeOrder", "message": {"payload": {"id": "o-9", "quantity": 1}}}}
      """
    When the asyncapi call task runs
    Then the error should be of type "timeout" with status 408
    And the task should fail with an error containing "waiting for the reply to orders.placed timed out"

  Scenario: an unreachable broker is a retryable communication error, and credentials never show
    Given the message brokers cannot be reached
    And the call task "notify" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "notifyOrder", "message": {"payload": {"id": "o-1", "quantity": 1}}},
       "authentication": {"basic": {"username": "orders", "password": "br0ker-pa55"}}}
      """
    When the asyncapi call task runs
    Then the error should be of type "communication" with status 503
    And the error should be retryable
    And the broker credentials should have been "orders" and "br0ker-pa55"
    And the resolved input should not have the key "authentication"
    And nothing published should contain "br0ker-pa55"

  Scenario: a subscription with a filter is refused, not ignored
    Given the call task "placeOrder" with:
      """
      {"call": "asyncapi",
       "with": {"document": {"endpoint": "http://docs.example/orders.yaml"}, "operation": "placeOrder", "message": {"payload": {"id": "o-1", "quantity": 1}},
                "subscription": {"filter": {"with": {"type": "confirmation"}}}}}
      """
    When the asyncapi call task runs
    Then the task should fail with error "asyncapi call configuration validation failed: subscription.filter is not supported: the reply is the message correlated with the request"
