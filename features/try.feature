Feature: Try tasks: catching, retrying and recovering from errors
  A `try` task runs its inner task through the registered handlers. Any failure of the inner
  task is raised as a Serverless Workflow error into `catch`, which filters it (`errors.with`,
  `when`, `exceptWhen`) and then retries it inside the executor with the policy's delays,
  recovers with `do`, or swallows it as `{<as>: error}`. Exactly one completion is published,
  and no timer events: time passes on the executor's clock (a fake clock here).

  In these scenarios the inner task is a `wait` with the duration "soon", which always fails
  with a validation error (type .../errors/validation, status 400).

  Rule: retries run inside the executor with exact delays, then fail with the last error

    Scenario: constant backoff, attempts used up: the last error, not a swallowed success
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {
            "errors": {"with": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/validation", "status": 400}},
            "retry": {"delay": {"seconds": 1}, "backoff": {"constant": {}}, "limit": {"attempt": {"count": 3}}},
            "do": [{"recover": {"set": {"recovered": true}}}]
          }
        }
        """
      When the task is submitted
      And the clock advances by 999 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then no completion should have been published yet
      When the clock advances by 999 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should fail with error "invalid duration 'soon': expected ISO 8601 such as PT2S, a Go duration such as 1.5s, or {seconds: 2}"
      And the error should be of type "validation" with status 400
      And the error details should record 3 attempts with delays "1000, 1000"
      And the retries should have stopped because "attempt limit of 3 reached"
      And the output should not have the key "recovered"
      And workflow retries should have been recorded 2 times
      And the completion metadata should report task type "try"
      And the completion should report a duration of 2000 ms
      And exactly one completion should exist for the task
      And the completion input should not carry the try configuration
      And no dead letter should have been published
      And the request should be acknowledged

    Scenario Outline: <backoff> backoff
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {"retry": {"delay": "PT1S", "backoff": <backoff json>, "limit": {"attempt": {"count": 4}}}}
        }
        """
      When the task is submitted
      And the clock advances by <almost>
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 4 attempts with delays "<delays>"

      Examples:
        | backoff                 | backoff json                                                 | delays           | almost  |
        | constant                | {"constant": {}}                                             | 1000, 1000, 1000 | 2999 ms |
        | linear                  | {"linear": {"increment": {"milliseconds": 500}}}             | 1000, 1500, 2000 | 4499 ms |
        | exponential             | {"exponential": {"multiplier": 2}}                           | 1000, 2000, 4000 | 6999 ms |
        | exponential with a cap  | {"exponential": {"multiplier": 3, "maxDelay": "PT5S"}}       | 1000, 3000, 5000 | 8999 ms |

    Scenario: jitter adds a random delay in [from, to)
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {"retry": {
            "delay": {"seconds": 1},
            "jitter": {"from": {"milliseconds": 100}, "to": {"milliseconds": 500}},
            "limit": {"attempt": {"count": 2}}
          }}
        }
        """
      When the task is submitted
      And the clock advances by 1099 ms
      Then no completion should have been published yet
      When the clock advances by 401 ms
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 2 attempts
      And every retry delay should be between 1100 and 1499 ms
      And the retry delays should add up to the task duration

    Scenario Outline: <form> durations
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"retry": {"delay": <delay>, "limit": {"attempt": {"count": 2}}}}}
        """
      When the task is submitted
      And the clock advances by 1499 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 2 attempts with delays "1500"

      Examples:
        | form     | delay                                |
        | ISO 8601 | "PT1.5S"                             |
        | object   | {"seconds": 1, "milliseconds": 500}  |
        | Go       | "1.5s"                               |

    Scenario: limit.duration cuts the retries short
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {"retry": {"delay": "PT2S", "limit": {"attempt": {"count": 10}, "duration": {"seconds": 5}}}}
        }
        """
      When the task is submitted
      And the clock advances by 3999 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 3 attempts with delays "2000, 2000"
      And the retries should have stopped because "retry duration limit of 5000 ms reached"

    Scenario: retries stop before a delay that would pass the task's timeout
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"retry": {"delay": "PT4S", "limit": {"attempt": {"count": 10}}}}}
        """
      And the task config is:
        """
        {"timeout": 10}
        """
      When the task is submitted
      And the clock advances by 8 s
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 3 attempts with delays "4000, 4000"
      And the retries should have stopped because "a retry in 4000 ms would pass the task deadline"

    Scenario: retry_context.attempt_count counts the attempts already made
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}}
        """
      And the task input also carries:
        """
        {"retry_context": {"is_retry": true, "attempt_count": 2, "original_task_id": "task-guarded-1"}}
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 3 attempts with delays ""
      And workflow retries should have been recorded 0 times

    Scenario: a retry policy referenced by name
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"retry": "patient"}}
        """
      And the task input also carries:
        """
        {"retry_policies": {"patient": {"delay": "PT3S", "limit": {"attempt": {"count": 2}}}}}
        """
      When the task is submitted
      And the clock advances by 2999 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the error details should record 2 attempts with delays "3000"

  Rule: a catch that does not apply fails the task with the inner error

    Scenario: a filter that does not match
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {"errors": {"with": {"status": 503}}, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}
        }
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid duration 'soon'"
      And the error should be of type "validation" with status 400
      And the error details should record 1 attempt with delays ""

    Scenario Outline: <condition> declines the catch
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {<condition>: <expression>, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}}
        """
      And the task context is:
        """
        {"workflow_input": {"retryable": false}, "variables": {}}
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid duration"
      And the error details should record 1 attempt with delays ""

      Examples:
        | condition    | expression                                    |
        | "when"       | "${ $error.status >= 500 }"                   |
        | "when"       | "${ .workflow_input.retryable }"              |
        | "exceptWhen" | "${ .error.type \| endswith(\"/validation\") }" |

    Scenario: when accepts the catch
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"when": "${ $error.status == 400 and .error.title == \"Validation Failed\" }"}}
        """
      When the task is submitted
      Then the task should succeed

  Rule: filter patterns run on an engine that cannot backtrack, and a pattern it refuses fails the task

    Scenario: a pattern that a backtracking engine would take for ever is answered at once
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"},
          "catch": {"errors": {"with": {"details": "(a+)+b"}}, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}
        }
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid duration 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'"
      And the error should be of type "validation" with status 400
      And the error details should record 1 attempt with delays ""
      And the executor should still be running

    Scenario: the same kind of pattern catches the error when it matches
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}, "catch": {"errors": {"with": {"details": "'(a+)+!'"}}}}
        """
      When the task is submitted
      Then the task should succeed

    Scenario Outline: a pattern with <syntax> fails the try task with a configuration error naming it
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"errors": {"with": {"details": <pattern>}}, "retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}}
        """
      When the task is submitted
      Then the error should name the filter pattern and say "<reason>"
      And the error should be of type "configuration" with status 400
      And the error code should be "INVALID_PATTERN"
      And the error details should record 1 attempt with delays ""
      And no dead letter should have been published
      And the request should be acknowledged

      Examples:
        | syntax          | pattern            | reason                                     |
        | a backreference | "(so)\\\\1"        | backreferences such as                     |
        | a lookahead     | "so(?=on)"         | lookahead and lookbehind are not supported |
        | a syntax error  | "(soon"            | missing closing )                          |

  Rule: a caught error without retry is recovered with do, or swallowed as {<as>: error}

    Scenario: recovery tasks run in document order; the last output is the task output
      Given a try task "guarded" carrying the configuration:
        """
        {
          "try": {"wait": "soon"},
          "catch": {
            "as": "failure",
            "do": {
              "zeta": {"task_type": "set", "config": {"parameters": {"step": 1}}},
              "alpha": {"set": {"step": 2, "reason": "${ $failure.detail }", "status": "${ .failure.status }"}}
            }
          }
        }
        """
      When the task is submitted
      Then the task should succeed
      And the output should contain:
        """
        {"step": 2, "status": 400, "reason": "invalid duration 'soon': expected ISO 8601 such as PT2S, a Go duration such as 1.5s, or {seconds: 2}"}
        """
      And the output should contain:
        """
        {"failure": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/validation", "status": 400}}
        """

    Scenario: a failing recovery task fails the whole task
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"do": [{"first": {"set": {"a": 1}}}, {"broken": {"wait": "never"}}, {"last": {"set": {"b": 2}}}]}}
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid duration 'never'"

    Scenario Outline: without retry or do the error becomes the output under <key> (never "")
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "soon"}, "catch": {"as": <as>, "errors": {"with": {"status": [400, 422]}}}}
        """
      When the task is submitted
      Then the task should succeed
      And the output should contain:
        """
        {"<key>": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/validation", "status": 400, "title": "Validation Failed"}}
        """
      And the output should not have the key ""

      Examples:
        | as        | key     |
        | null      | error   |
        | ""        | error   |
        | "problem" | problem |

  Rule: a successful try reports the inner task's output as the try task

    Scenario: the inner task succeeds after its own time
      Given a try task "guarded" carrying the configuration:
        """
        {"try": [{"pause": {"wait": "PT2S"}}], "catch": {"retry": {"delay": "PT1S", "limit": {"attempt": {"count": 3}}}}}
        """
      When the task is submitted
      And the clock advances by 2 s
      Then the task should succeed
      And the output should contain:
        """
        {"waited_duration": "2s"}
        """
      And the completion metadata should report task type "try"
      And the completion should report a duration of 2000 ms

    Scenario: configuration in config.parameters, as flunq's README and tests put it
      Given a "try" task "guarded" with parameters:
        """
        {"try": {"set": {"greeting": "${ .workflow_input.name }"}}, "catch": {}}
        """
      And the task context is:
        """
        {"workflow_input": {"name": "ada"}, "variables": {}}
        """
      When the task is submitted
      Then the task should succeed
      And the output should equal:
        """
        {"greeting": "ada"}
        """

  Rule: a try request without a try configuration fails cleanly

    Scenario: the worker's retry-path request (no config, retry_context in input and context)
      When the worker's retry-path request for "guarded" arrives
      Then the task should fail with error "invalid try configuration: try configuration not found in task input"
      And the error should be of type "configuration" with status 400
      And no dead letter should have been published
      And the request should be acknowledged
      And the executor should still be running

    Scenario: an invalid retry delay
      Given a try task "guarded" carrying the configuration:
        """
        {"try": {"wait": "PT1S"}, "catch": {"retry": {"delay": "P1M", "limit": {"attempt": {"count": 2}}}}}
        """
      When the task is submitted
      Then the task should fail with an error containing "invalid catch configuration: retry.delay: invalid duration 'P1M'"

  Rule: the offline examples of the try tasks documentation (docs/try-tasks.md) do what it says

    Scenario: exponential backoff with jitter and an overall limit
      When the documented example "Exponential backoff with jitter and an overall limit (offline)" is submitted
      And the clock advances by 20 s
      Then the task should fail with an error containing "invalid duration 'soon'"
      And the error details should record 4 attempts
      And the retries should have stopped because "retry duration limit of 10000 ms reached"

    Scenario: linear backoff
      When the documented example "Linear backoff (offline)" is submitted
      And the clock advances by 4500 ms
      Then the error details should record 4 attempts with delays "1000, 1500, 2000"

    Scenario: when / exceptWhen
      When the documented example "`when` / `exceptWhen` (offline)" is submitted
      Then the task should fail with an error containing "invalid duration 'soon'"
      And the error should be of type "validation" with status 400

    Scenario: recovery with do
      When the documented example "Recover with `do`, in document order (offline)" is submitted
      Then the task should succeed
      And the output should contain:
        """
        {"available": 0, "failure": {"status": 400, "title": "Validation Failed"}}
        """
      And the output should not have the key "alert"

    Scenario: swallowing the error
      When the documented example "Swallow the error as output (offline)" is submitted
      Then the task should succeed
      And the output should contain:
        """
        {"error": {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/validation", "status": 400, "title": "Validation Failed", "data": {"code": "INVALID_DURATION"}}}
        """

    Scenario: a named retry policy with retry_context.attempt_count
      When the documented example "A named retry policy and `retry_context.attempt_count` (offline)" is submitted
      Then the task should fail with an error containing "invalid duration 'soon'"
      And the error details should record 3 attempts with delays ""

    Scenario: no configuration
      When the documented example "No configuration (the worker's retry-path request)" is submitted
      Then the task should fail with error "invalid try configuration: try configuration not found in task input"
