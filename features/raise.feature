Feature: Raise tasks
  A `raise` task fails on purpose with the error it defines (DSL 1.0): a standard error type keeps
  its kind, any other URI is the workflow's own error. Expressions in the definition are resolved,
  an enclosing `try` catches the error like any other, and a definition that is not one is a
  configuration error that names what is wrong.

  Rule: the task fails with exactly the error it defines

    Scenario: a standard error type, in the DSL's form
      Given a "raise" task "reject" with parameters:
        """
        {"raise": {"error": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/validation", "status": 422, "title": "Order Rejected", "detail": "the order has no lines"}}}
        """
      When the executor processes it
      Then the task should fail with error "the order has no lines"
      And the error should be of type "validation" with status 422
      And the error code should be "RAISED"
      And the error details should include:
        """
        {"title": "Order Rejected", "detail": "the order has no lines"}
        """
      And no dead letter should have been published

    Scenario: the workflow's own error type, with expressions
      Given a "raise" task "outOfStock" with parameters:
        """
        {"error": {"type": "https://shop.example/errors/out-of-stock", "status": "${ .input.status }", "detail": "${ \"item \" + .input.sku + \" is out of stock\" }"}}
        """
      And the task input is:
        """
        {"sku": "A-17", "status": 409}
        """
      When the executor processes it
      Then the task should fail with error "item A-17 is out of stock"
      And the error details should include:
        """
        {"type": "https://shop.example/errors/out-of-stock", "status": 409, "detail": "item A-17 is out of stock"}
        """

  Rule: an enclosing try catches a raised error by its type

    Scenario: a try recovers from the workflow's own error
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"raise": {"error": {"type": "https://shop.example/errors/out-of-stock", "status": 409}}},
          "catch": {
            "errors": {"with": {"type": "https://shop.example/errors/out-of-stock"}},
            "as": "problem",
            "do": [{"backorder": {"set": {"backordered": true}}}]
          }
        }
        """
      When the executor processes it
      Then the task should succeed
      And the output should contain:
        """
        {"backordered": true}
        """

  Rule: a definition that is not one is a configuration error

    Scenario Outline: <case>
      Given a "raise" task "broken" with parameters '<parameters>'
      When the executor processes it
      Then the task should fail with an error containing "<message>"
      And the error should be of type "configuration" with status 400
      And no dead letter should have been published

      Examples:
        | case                   | parameters                                           | message                                           |
        | no error at all        | {}                                                   | raise.error must be an object with type and status |
        | no status              | {"error": {"type": "https://x.example/e"}}           | error.status must be an integer from 100 to 599, got nothing |
        | a status out of range  | {"error": {"type": "https://x.example/e", "status": 42}} | error.status must be an integer from 100 to 599, got 42 |
        | no type                | {"error": {"status": 400}}                           | error.type must be a non-empty string (a URI)     |
        | an error named by name | {"error": "outOfStock"}                              | names an error of the workflow's use.errors        |
