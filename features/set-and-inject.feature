Feature: Set and inject tasks
  The executor copies data into the task output, so that the flunq worker merges it
  into the workflow variables.

  Rule: set outputs its parameters and the task's own input data

    Scenario: set copies every parameter into the output
      Given a "set" task "initialize" with parameters:
        """
        {"set_data": {"status": "initialized", "count": 3}}
        """
      When the executor processes it
      Then the task should succeed
      And the output should equal:
        """
        {"set_data": {"status": "initialized", "count": 3}}
        """
      And the completion metadata should report task type "set"
      And the completion entry should carry the flunq stream fields

    Scenario: input values win over parameters and the worker's bookkeeping keys stay out
      Given a "set" task "merge" with parameters '{"status": "from-parameters", "kept": 1}'
      And the task input is:
        """
        {"status": "from-input"}
        """
      When the executor processes it
      Then the output should equal:
        """
        {"status": "from-input", "kept": 1}
        """
      And the output should not have the key "task_name"
      And the output should not have the key "timestamp"

  Rule: inject adds when and by whom the data was injected

    Scenario: inject copies its parameters and stamps them
      Given a "inject" task "config" with parameters '{"environment": "staging", "region": "eu-west-1"}'
      When the executor processes it
      Then the task should succeed
      And the output should contain:
        """
        {"environment": "staging", "region": "eu-west-1", "_injected_by": "executor-service", "_injected_at": "2025-08-25T19:35:40Z"}
        """
      And the completion metadata should report task type "inject"
