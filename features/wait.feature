Feature: Wait tasks
  A wait sleeps on the executor's clock: instant under the fake clock, exact, and cancellable.

  Rule: a wait finishes exactly when its duration has passed

    Scenario Outline: <form> durations
      Given a "wait" task "pause" with parameters '<parameters>'
      When the task is submitted
      And the clock advances by <almost>
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should succeed
      And the output should contain:
        """
        {"waited_duration": "<go>", "actual_duration": "<go>"}
        """
      And the completion should report a duration of <ms> ms

      Examples:
        | form          | parameters                                      | almost  | go    | ms   |
        | ISO 8601      | {"duration": "PT2S"}                            | 1999 ms | 2s    | 2000 |
        | ISO 8601 days | {"duration": "P0DT1M30.5S"}                     | 90499 ms | 1m30.5s | 90500 |
        | object        | {"duration": {"seconds": 2, "milliseconds": 500}} | 2499 ms | 2.5s  | 2500 |
        | Go            | {"duration": "300ms"}                           | 299 ms  | 300ms | 300  |
        | seconds       | {"seconds": 0.5}                                | 499 ms  | 500ms | 500  |

    Scenario: the duration the worker puts in the task input
      Given a "wait" task "pause"
      And the task input is:
        """
        {"duration": "2s"}
        """
      When the task is submitted
      And the clock advances by 2 s
      Then the task should succeed
      And the output should contain:
        """
        {"waited_duration": "2s"}
        """

  Rule: an unparseable duration is a validation error, not a silent default

    Scenario: invalid duration
      Given a "wait" task "pause" with parameters '{"duration": "two seconds"}'
      When the executor processes it
      Then the task should fail with an error containing "invalid duration 'two seconds'"
      And the error should be of type "validation" with status 400
      And no dead letter should have been published

  Rule: a wait longer than the task's timeout fails with a timeout error

    Scenario: config.timeout cuts a long wait
      Given a "wait" task "pause" with parameters '{"duration": "PT10M"}'
      And the task config is:
        """
        {"timeout": 60}
        """
      When the task is submitted
      And the clock advances by 60 s
      Then the task should fail with an error containing "timeout of 60000 ms"
      And the error should be of type "timeout" with status 408
