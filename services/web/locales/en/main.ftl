# The web application's messages in English. Every key here is also in zh-CN/main.ftl
# (a unit test checks it).

## Layout
skip-to-content = Skip to content
nav-label = Main
nav-home = Home
nav-raise = Raise a ticket
nav-my-tickets = My tickets
nav-tickets = Tickets
nav-kb = Knowledge base
nav-admin = Administration
nav-profile = Profile
sign-out = Sign out
footer-zone = Times shown in
back-home = Back to the start page
welcome = Welcome, { $name }
signed-in-as = Signed in as { $name }

## Sign in
sign-in = Sign in
sign-in-title = Sign in to your IT service portal
field-email = Email
field-password = Password
field-otp = Code from your authenticator app
login-wrong = The email or the password is wrong.
login-otp-needed = Enter the code from your authenticator app.
login-otp-wrong = That code is not right or has expired; enter the current one.
login-throttled = Too many attempts. Wait a minute, then try again.

## Errors
not-found-title = Not found
not-found-text = There is nothing here, or it is not yours to see.
forbidden-title = Not allowed
forbidden-text = Your role does not allow this.
csrf-title = The form has expired
csrf-text = This form was not sent from this site's page, or the page is too old. Go back, reload the page and send it again.
bad-form-title = The form could not be read
bad-form-text = Something in what was sent is missing or not in the expected form. Go back and check the form.
unavailable-title = Temporarily unavailable
unavailable-text = The service cannot answer right now. Try again in a moment.
internal-title = Something went wrong
internal-text = The page could not be shown. The team has been told; try again in a moment.

## Home
home-open-tickets = My open tickets
home-no-open = You have no open tickets.
home-search-kb = Search the knowledge base
staff-home-text = The provider's console is on its way. Meanwhile the API and its documentation serve every task:
staff-api-docs = API documentation
staff-tenants = Tenants
col-name = Name
col-key = Key
col-status = Status

## Tickets
status-new = New
status-assigned = Assigned
status-in_progress = In progress
status-pending_customer = Waiting for you
status-pending_vendor = Waiting for a vendor
status-resolved = Resolved
status-closed = Closed
status-cancelled = Cancelled
metric-first_response = First response
metric-resolution = Resolution
metric-onsite = On site
sla-paused = SLA paused while waiting for you

## Spans of time
due-in = in { $span }
overdue-by = { $span } overdue
unit-days = { $n } d
unit-hours = { $n } h
unit-minutes = { $n } min
unit-seconds = { $n } s
# For the live countdown: units, then the two phrases, "%s" standing for the span.
js-units = d|h|min|s|in %s|%s overdue
