@http
Feature: Call content: files, binary bodies and response content types
  A call can upload files: a multipart/form-data form with fields and files (given as base64 or
  fetched from a URL while the upload is sent), or a binary body. Answers are decoded by their
  content type: JSON parsed, text and XML as text, anything else as base64 with its content type.

  Rule: a multipart body carries fields and files, inline or fetched from a URL

    Scenario: a form with a field, an inline file and a file fetched from a file server
      Given the file server "https://files.example.test" serves "/logo.png" as "image/png"
      And the API "https://api.example.test" accepts uploads at POST "/documents"
      And the call task "upload" with:
        """
        {"call_type": "http", "method": "POST", "url": "https://api.example.test/documents",
         "headers": {"Content-Type": "multipart/form-data"},
         "body": {"fields": {"title": "Q3 report"},
                  "files": [{"name": "notes", "filename": "notes.txt", "content_type": "text/plain", "base64": "aGVsbG8gd29ybGQ="},
                            {"name": "logo", "url": "https://files.example.test/logo.png"}]}}
        """
      When the call task runs
      Then the task should succeed
      And the upload should have the field "title" with "Q3 report"
      And the upload should have the file "notes" named "notes.txt" of type "text/plain" containing "hello world"
      And the upload should have the file "logo" named "logo.png" of type "image/png" with the bytes the file server served

  Rule: a binary body is sent as its bytes

    Scenario: an image given as base64 is sent as it is, with its content type
      Given the API "https://api.example.test" accepts uploads at PUT "/avatar"
      And the call task "avatar" with:
        """
        {"call_type": "http", "method": "PUT", "url": "https://api.example.test/avatar",
         "body": {"base64": "iVBORw0KGgo=", "content_type": "image/png"}}
        """
      When the call task runs
      Then the task should succeed
      And the upload should be the bytes of base64 "iVBORw0KGgo=" with content type "image/png"

  Rule: what a call uploads stays within the request size limit

    Scenario: a file larger than CALL_MAX_REQUEST_BYTES fails the task and nothing is uploaded
      Given the request size limit is 1024 bytes
      And the file server "https://files.example.test" serves "/big.bin" with 4096 bytes
      And the API "https://api.example.test" accepts uploads at POST "/documents"
      And the call task "upload" with:
        """
        {"call_type": "http", "method": "POST", "url": "https://api.example.test/documents",
         "headers": {"Content-Type": "multipart/form-data"},
         "body": {"files": [{"name": "big", "url": "https://files.example.test/big.bin"}]}}
        """
      When the call task runs
      Then the task should fail with an error containing "file part \"big\" (https://files.example.test/big.bin) makes the request body larger than the limit of 1024 bytes"
      And the error code should be "REQUEST_TOO_LARGE"
      And the API should have received 0 uploads

    Scenario: a file the file server does not have fails the task
      Given the file server "https://files.example.test" does not have "/gone.pdf"
      And the call task "upload" with:
        """
        {"call_type": "http", "method": "POST", "url": "https://api.example.test/documents",
         "headers": {"Content-Type": "application/pdf"},
         "body": {"url": "https://files.example.test/gone.pdf"}}
        """
      When the call task runs
      Then the task should fail with error "HTTP request failed: the request body: could not fetch https://files.example.test/gone.pdf: the server answered 404"
      And the error code should be "FILE_FETCH_FAILED"

  Rule: answers are decoded by their content type

    Scenario: an image answer is base64 with its content type
      Given the API "https://api.example.test" answers GET "/logo.png" with base64 "iVBORw0KGgo=" as "image/png"
      And the call task "logo" with:
        """
        {"call_type": "http", "url": "https://api.example.test/logo.png"}
        """
      When the call task runs
      Then the task should succeed
      And the output should contain:
        """
        {"status_code": 200, "data": {"base64": "iVBORw0KGgo=", "content_type": "image/png"}}
        """

    Scenario: an XML answer is text
      Given the API "https://api.example.test" answers GET "/pet.xml" with base64 "PHBldD5SZXg8L3BldD4=" as "application/xml"
      And the call task "pet" with:
        """
        {"call_type": "http", "url": "https://api.example.test/pet.xml"}
        """
      When the call task runs
      Then the output should contain:
        """
        {"data": "<pet>Rex</pet>"}
        """
