@http
Feature: A task runs once, however often its request arrives
  The flunq worker may publish a task request twice, and a delivery is repeated when its executor
  dies before acknowledging it. A task whose outcome is recorded is not executed again, and a copy
  that arrives while another copy of the same task runs is acknowledged as a duplicate without
  running: the running copy stays pending until it settles, so nothing is lost if its executor
  dies. Side effects are counted as the requests the API receives.

  Background:
    Given the call task "order" with:
      """
      {"call_type": "http", "url": "https://shop.example.test/orders", "method": "post", "body": {"item": "book"}}
      """

  Rule: a task whose outcome is recorded is not executed again

    Scenario: the same task is published again after its first copy completed
      Given the API "https://shop.example.test" answers POST "/orders" 5 times with status 201
      When the call task runs
      And the same call task is published again
      Then the API should have received 1 request
      And exactly one completion should exist for the task
      And the request should be acknowledged

  Rule: a copy that arrives while another copy of the task runs is a duplicate

    Scenario: two copies of a task overlap while the API answers slowly
      Given the executor runs with concurrency 2
      And the API "https://shop.example.test" holds its answers to POST "/orders"
      When the call task is published twice at once
      Then the API should have received 1 request
      And 1 request should still be pending
      When the API answers the held requests with status 201
      Then exactly one completion should exist for the task
      And the API should have received 1 request
      And the request should be acknowledged

  Rule: a delivery whose executor died before acknowledging it runs again, and is reported once

    Scenario: the executor crashes while the call is in flight, and restarts
      Given the API "https://shop.example.test" holds its answers to POST "/orders"
      When the call task is published
      And the executor crashes
      And the executor restarts while the crashed call is still unanswered
      Then the API should have received 2 requests
      When the API answers the held requests with status 201
      Then exactly one completion should exist for the task
      And the completion should record attempt 2
      And the task should succeed
      And the request should be acknowledged
