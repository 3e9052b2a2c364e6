@http
Feature: OpenAPI calls report and may pin the document version
  The completion of an OpenAPI call says which document it ran against (`data.metadata.document`:
  the URL, the document's `info.version` and the SHA-256 of its bytes). A task may pin the version
  with `document.version`: a document at another version fails the task before anything is sent.

  Rule: the completion reports the document a call ran against

    Scenario: a call against the published Petstore reports its version and hash
      Given the API "http://petstore.swagger.io" serves "/v2/openapi.json" from the examples file "3.0/json/petstore.json"
      And the API "http://petstore.swagger.io" answers GET "/v2/pet/42" with status 200 and body '{"id": 42}'
      And the call task "fetchPet" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://petstore.swagger.io/v2/openapi.json"}, "operation_id": "getPetById", "parameters": {"petId": 42}}
        """
      When the call task runs
      Then the task should succeed
      And the completion metadata should report the document "http://petstore.swagger.io/v2/openapi.json" at version "1.0.0"
      And the reported SHA-256 should be the one of the examples file "3.0/json/petstore.json"
      And the completion metadata should report task type "call"

    Scenario: a failed call reports the document too
      Given the API "http://things.test" serves its document "/openapi.json" at version "2.1.0", with an ETag
      And the API "http://things.test" answers GET "/things/7" with status 404 and body '{"error": "no"}'
      And the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      When the call task runs
      Then the task should fail with error "HTTP request failed with status 404"
      And the completion metadata should report the document "http://things.test/openapi.json" at version "2.1.0"
      And the reported SHA-256 should be the one of the document served

  Rule: a task may pin the document's version, or its SHA-256

    Background:
      Given the API "http://things.test" serves its document "/openapi.json" at version "2.1.0", with an ETag
      And the API "http://things.test" answers GET "/things/7" with status 200 and body '{"id": 7}'

    Scenario: the document is at the pinned version
      Given the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json", "version": "2.1.0"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      When the call task runs
      Then the task should succeed
      And the resolved input should contain:
        """
        {"document": {"endpoint": "http://things.test/openapi.json", "version": "2.1.0"}}
        """

    Scenario: the document has the pinned SHA-256
      Given the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      And the call task pins the document to the SHA-256 of the document served
      When the call task runs
      Then the task should succeed

    Scenario: a document at another version fails the task, and nothing is sent
      Given the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json", "version": "2.0.0"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      When the call task runs
      Then the task should fail with an error containing "the task expects document version \"2.0.0\", but http://things.test/openapi.json has version \"2.1.0\""
      And the error should be of type "configuration" with status 400
      And the error code should be "DOCUMENT_VERSION_MISMATCH"
      And the error details should include:
        """
        {"data": {"expected_version": "2.0.0", "actual_version": "2.1.0"}}
        """
      And the API should have received 0 requests for "/things/7"
      And the completion metadata should report the document "http://things.test/openapi.json" at version "2.1.0"
      And no dead letter should have been published

    Scenario: a pinned version newer than the cached copy makes the executor ask the origin first
      Given the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      And the call task runs
      And the clock advances by 1s
      And the API "http://things.test" now serves its document at version "2.2.0"
      And the API "http://things.test" answers GET "/things/7" with status 200 and body '{"id": 7}'
      And the call task "getThing" with:
        """
        {"call_type": "openapi", "document": {"endpoint": "http://things.test/openapi.json", "version": "2.2.0"}, "operation_id": "getThing", "parameters": {"id": 7}}
        """
      When the call task runs
      Then the task should succeed
      And the document should have been asked for with If-None-Match "\"2.1.0\""
      And the completion metadata should report the document "http://things.test/openapi.json" at version "2.2.0"
