Feature: Secrets never leave the process
  Credentials given to a task are used for the request they were meant for and appear in no
  published entry and no log line, whatever the outcome.

  Rule: a try task's configuration is not published, even when the task fails before its handler reports

    Scenario: a try task cut short by its deadline
      Given a "try" task "guarded"
      And the task input is:
        """
        {"try_catch_config": {
          "try": {"wait": "PT10M"},
          "catch": {
            "errors": {"with": {"status": 503}},
            "do": [{"notify": {"call": "http", "with": {"method": "post", "endpoint": "https://hooks.example.test/notify",
                                                       "headers": {"X-Custom": "APIKEYVALUE42"}}}}]
          }
        }}
        """
      And the task config is:
        """
        {"timeout": 60}
        """
      When the task is submitted
      And the clock advances by 60 s
      Then the task should fail with an error containing "timeout of 60000 ms"
      And nothing published should contain "APIKEYVALUE42"
      And no log line should contain "APIKEYVALUE42"
