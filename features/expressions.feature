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
