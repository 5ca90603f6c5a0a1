"""Background jobs: long exports, PDFs, batch imports and the reminders, run by a worker off the request.

The job row says what a user asked for and how far it got; the file it makes lives in the site's storage,
so that any app host can serve it and any worker host can make it."""
