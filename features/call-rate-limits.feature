@http
Feature: rate limits of outbound calls
  An operator limits how fast the executor calls a host (CALL_RATE_LIMITS); every replica shares
  the limit. A call waits for its slot, but never beyond its task's deadline: a slot that comes too
  late fails the call at once with RATE_LIMITED, which a `try` may retry. A downstream that answers
  429 or 503 with Retry-After holds the host back for every call. A task may ask for a stricter
  limit of its own, never a looser one.

  Background:
    Given the setting CALL_RATE_LIMIT_BACKEND is "memory"
    And the setting CALL_RATE_LIMITS is "api.example.test=2/s"
    And the API "https://api.example.test" answers every GET "/items" with status 200

  Rule: calls to a limited host are spaced by its rate

    Scenario: three calls published at once go out half a second apart
      Given the call task "list" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items"}
        """
      When 3 such call tasks are published at once and the clock runs for 2s
      Then the API should have received the requests at "0, 500, 1000" ms
      And 3 of the tasks should have succeeded and 0 failed with code "RATE_LIMITED"
      And the metrics should count 2 rate-limit waits and 0 refusals for "api.example.test"

    Scenario: GraphQL calls to a limited host are spaced the same way
      Given the GraphQL API "https://api.example.test" answers every POST "/graphql" with:
        """
        {"data": {"version": "1.2"}}
        """
      And the call task "version" with:
        """
        {"call_type": "graphql", "endpoint": "https://api.example.test/graphql", "query": "{ version }"}
        """
      When 3 such call tasks are published at once and the clock runs for 2s
      Then the API should have received the requests at "0, 500, 1000" ms
      And 3 of the tasks should have succeeded and 0 failed with code "RATE_LIMITED"
      And the metrics should count 2 rate-limit waits and 0 refusals for "api.example.test"

  Rule: a slot after the task's deadline fails the call at once

    Scenario: the second call of a slow limit cannot wait that long
      Given the setting CALL_RATE_LIMITS is "api.example.test=1/m"
      And the call task "list" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items"}
        """
      And the task config is:
        """
        {"timeout": 10}
        """
      When 2 such call tasks are published at once and the clock runs for 1s
      Then the API should have received the requests at "0" ms
      And 1 of the tasks should have succeeded and 1 failed with code "RATE_LIMITED"
      And the metrics should count 0 rate-limit waits and 1 refusal for "api.example.test"

  Rule: a downstream's Retry-After holds the host back

    Scenario: a 429 asking for 3 seconds delays the next calls by 3 seconds
      Given the API "https://api.example.test" answers the first GET "/busy" with status 429 and Retry-After "3", then with status 200
      And the call task "busy" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/busy"}
        """
      When 1 such call tasks are published at once and the clock runs for 0s
      And 2 such call tasks are published at once and the clock runs for 4s
      Then the API should have received the requests at "0, 3000, 3500" ms
      And 2 of the tasks should have succeeded and 0 failed with code "RATE_LIMITED"
      And the metrics should count 2 rate-limit waits and 0 refusals for "api.example.test"

  Rule: a task's own limit can only be stricter

    Scenario: a task asking for one call a second is slower than the operator's limit
      Given the call task "list" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items", "rate_limit": {"rate": "1/s"}}
        """
      When 3 such call tasks are published at once and the clock runs for 3s
      Then the API should have received the requests at "0, 1000, 2000" ms

    Scenario: a task asking for more than the operator allows still gets the operator's rate
      Given the call task "list" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items", "rate_limit": {"rate": "100/s", "burst": 10}}
        """
      When 3 such call tasks are published at once and the clock runs for 2s
      Then the API should have received the requests at "0, 500, 1000" ms

  Rule: the audit log records every outbound call without its secrets

    Scenario: an audited call with a query API key
      Given the setting CALL_AUDIT_LOG is "true"
      And the call task "list" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items",
         "authentication": {"type": "apikey", "config": {"key": "api_key", "value": "k-SECRET-4242", "in": "query"}}}
        """
      When 1 such call tasks are published at once and the clock runs for 0s
      Then the audit log should show 1 outbound call to "https://api.example.test/items?api_key=***" with status 200
      And no log line should contain "k-SECRET-4242"

  Rule: a try may retry a call its rate limit refused

    Scenario: refused twice by a slow limit, then sent when the slot comes
      Given the setting CALL_RATE_LIMITS is "api.example.test=1/m"
      And the setting CALL_RATE_LIMIT_MAX_WAIT is "10s"
      And the call task "first" with:
        """
        {"call_type": "http", "method": "get", "url": "https://api.example.test/items"}
        """
      When 1 such call tasks are published at once and the clock runs for 0s
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"call": "http", "with": {"method": "GET", "url": "https://api.example.test/items"}},
          "catch": {
            "errors": {"with": {"status": 429}},
            "retry": {"delay": {"seconds": 30}, "backoff": {"constant": {}}, "limit": {"attempt": {"count": 3}}}
          }
        }
        """
      When the try task is submitted and runs until it waits or completes
      And the clock advances by 30 s and the try task runs until it waits or completes
      And the clock advances by 30 s and the try task runs until it waits or completes
      Then the API should have received the requests at "0, 60000" ms
      And the task should succeed
      And the completion should record 3 attempts with delays "30000, 30000"
      And the metrics should count 0 rate-limit waits and 2 refusals for "api.example.test"
