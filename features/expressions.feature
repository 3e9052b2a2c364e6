Feature: Runtime expressions
  Strings of the form ${ … } are evaluated with jq against the task's context.

  Rule: expressions see the workflow input, the variables and earlier task outputs

    Scenario: each context source
      Given a "set" task "derive" with parameters:
        """
        {
          "pet": "${ .input.petId }",
          "status": "${ .variables.status | ascii_upcase }",
          "firstId": "${ .task_outputs.initialize.content.ids[0] }",
          "count": "${ [.task_outputs.initialize.content.ids[] | select(. > 1)] | length }",
          "nested": {"list": ["${ .workflow_input.petId + 1 }", "literal"]},
          "task": "${ $task.name }"
        }
        """
      And the task context is:
        """
        {
          "workflow_input": {"petId": 42},
          "variables": {"status": "initialized"},
          "task_outputs": {"initialize": {"content": {"ids": [7, 1, 9]}}}
        }
        """
      When the executor processes it
      Then the task should succeed
      And the output should equal:
        """
        {"pet": 42, "status": "INITIALIZED", "firstId": 7, "count": 2, "nested": {"list": [43, "literal"]}, "task": "derive"}
        """

    Scenario: without a workflow input, .input is the task input
      Given a "set" task "echo" with parameters '{"who": "${ .input.user }"}'
      And the task input is:
        """
        {"user": "ada"}
        """
      When the executor processes it
      Then the output should contain:
        """
        {"who": "ada"}
        """

  Rule: a failing expression fails the task with an expression error

    Scenario: an expression that does not compile
      Given a "set" task "broken" with parameters '{"value": "${ .input | foo( }"}'
      When the executor processes it
      Then the task should fail with an error containing "expression '.input | foo(' failed"
      And the error should be of type "expression" with status 400
      And no dead letter should have been published

    Scenario: an expression that fails at run time
      Given a "set" task "broken" with parameters '{"value": "${ .variables.status.name }"}'
      And the task context is:
        """
        {"variables": {"status": "text"}}
        """
      When the executor processes it
      Then the task should fail with an error containing "Cannot index string"
      And the error should be of type "expression" with status 400

  Rule: an expression that runs away is stopped, and fails only its own task

    Scenario Outline: <what> fails with <code> while other tasks complete
      Given the setting EXPRESSION_TIMEOUT is "<limit>"
      And the setting EXPRESSION_MAX_MEMORY_MB is "32"
      And a "set" task "runaway" with parameters '{"value": "${ <expression> }"}'
      When the task is submitted together with 6 quick tasks
      Then the task should fail with an error containing "<fragment>"
      And the error code should be "<code>"
      And the error should be of type "expression" with status 400
      And no dead letter should have been published
      And the 6 quick tasks should have succeeded

      # The memory limit is reached in about half a second: its time limit leaves room for that.
      Examples:
        | what                   | expression                | limit | code               | fragment                  |
        | a recursive definition | def f: f; f               | 300ms | EXPRESSION_TIMEOUT | longer than its limit     |
        | an endless count       | last(range(1e12))         | 300ms | EXPRESSION_TIMEOUT | longer than its limit     |
        | an array too large     | [range(1e8)] \| length    | 20s   | EXPRESSION_LIMIT   | exceeded a limit          |

    Scenario: a catch condition that runs away fails the try task
      Given the setting EXPRESSION_TIMEOUT is "300ms"
      And a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"when": "${ [repeat(1)] | length > 0 }"}}
        """
      When the task is submitted
      Then the task should fail with an error containing "longer than its limit"
      And the error code should be "EXPRESSION_TIMEOUT"
