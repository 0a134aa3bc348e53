"""The outgoing transfer queue (spec tag "asaqc"): requests, the sender, wake-ups.

| module | what |
|---|---|
| ``requests.py`` | the API's rules: add items (all or none), list them, cancel them |
| ``wakeup.py`` | wake-up messages to the ``asaqc`` SQS queue (the table is the truth; a message only says "look") |
| ``sender.py`` | claims due items one at a time, sends their files, records every call, queues retries |
"""
