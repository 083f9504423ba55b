# The tenant admin's pages (/admin…). Every key here is also in zh-CN/admin.ftl.

## Shared
admin-crumbs = You are here
admin-cancel = Cancel
admin-optional = (optional)
admin-col-name = Name
admin-col-email = Email
admin-col-role = Role
admin-col-status = Status
admin-col-last-sign-in = Last sign-in
admin-col-actions = Actions
admin-password-length = It needs { $range } characters.
admin-refused-suspended = Your organisation's account is suspended: settings can be read but not changed. Please contact your IT service provider.
admin-refused-cancelled = Your organisation's account has been cancelled: nothing can be changed any more.
admin-refused-moved = Someone changed this in the meantime. Reload the page to see the current state, then make your change again.
admin-refused-conflict = This cannot be done in the current state. Reload the page and try again.
admin-refused-said = This was not accepted: { $detail }
admin-day-mon = Monday
admin-day-tue = Tuesday
admin-day-wed = Wednesday
admin-day-thu = Thursday
admin-day-fri = Friday
admin-day-sat = Saturday
admin-day-sun = Sunday
admin-day-mon-short = Mon
admin-day-tue-short = Tue
admin-day-wed-short = Wed
admin-day-thu-short = Thu
admin-day-fri-short = Fri
admin-day-sat-short = Sat
admin-day-sun-short = Sun

## Hub
admin-hub-title = Administration
admin-hub-intro = Everything you manage for your organisation: people and access, decisions on changes, settings, and what the service costs and delivers.
admin-hub-people = People and access
admin-hub-changes = Changes
admin-hub-settings = Settings
admin-hub-reports = Reports and billing
admin-hub-users-text = Invite colleagues, change their role, reset a password, deactivate someone who left.
admin-hub-keys-text = Keys for monitoring agents and scripts: create, see when they were last used, revoke.
admin-hub-approvals-text = Planned changes to your systems that wait for your approval.
admin-hub-settings-text = Everything configured at a glance, with the history of every change.
admin-hub-calendar-text = Office hours, holidays and make-up working days: when the SLA clock runs.
admin-hub-categories-text = The categories tickets are raised in.
admin-hub-priorities-text = How impact and urgency set a ticket's priority.
admin-hub-fields-text = Extra fields your tickets ask for, such as an asset tag.
admin-hub-sites-text = Your offices and other places where engineers come on site.
admin-hub-webhooks-text = Send ticket and SLA events to your own systems.
admin-hub-monitoring-text = How alerts from your monitoring become incidents; maintenance windows.
admin-hub-report = Monthly IT service report
admin-hub-report-text = Tickets, SLA compliance, on-site work and satisfaction, month by month.
admin-hub-invoices = Invoices
admin-hub-invoices-text = Your invoices, with every SLA credit explained.
admin-hub-waiting = { $count } waiting

## Users
admin-users-title = Users
admin-users-invite = Invite a user
admin-users-caption = { $count ->
    [one] One user
   *[other] { $count } users
}
admin-users-you = you
admin-users-active = Active
admin-users-inactive = Deactivated
admin-users-never = Never
admin-users-invited = The user was created. Give them their first password by a safe channel, such as in person or by phone.
admin-users-deactivated = The user was deactivated and signed out everywhere.
admin-role-requester = Requester
admin-role-tenant_admin = Administrator
admin-role-staff = Provider staff
admin-role-requester-text = Raises tickets and follows their own.
admin-role-tenant_admin-text = Also sees all the organisation's tickets, approves changes and manages these pages.
admin-invite-intro = The new user signs in with their email and the first password you set here. They can change it under Profile.
admin-invite-password = First password
admin-invite-password-hint = Tell it to the user by a safe channel, never by the same email as the invitation.
admin-invite-submit = Create user
admin-users-error-email = Enter an email address, such as li.wei@example.com.
admin-users-error-name = Enter the person's name.
admin-users-error-role = Choose a role.
admin-users-error-password = The password needs { $min } to { $max } characters.
admin-users-error-taken = There is already a user with this email address.
admin-user-facts = Account
admin-user-since = User since
admin-user-this-is-you = This is your own account. To change your name, language or password, use your profile.
admin-user-role-heading = Role
admin-user-role-hint = A change of role signs the user out; their next sign-in has the new role.
admin-user-role-submit = Change role
admin-user-role-changed = The role was changed. The user's sessions were ended.
admin-user-password-heading = Set a new password
admin-user-password-hint = For a user who forgot their password. Their sessions end at once; tell them the new password by a safe channel.
admin-user-new-password = New password
admin-user-repeat-password = New password again
admin-user-password-submit = Set password
admin-user-password-set = The new password was set and the user was signed out everywhere.
admin-user-error-repeat = The two passwords are not the same.
admin-user-error-self = You cannot deactivate yourself or remove your own administrator role. Ask another administrator.
admin-user-access-heading = Access
admin-user-deactivate = Deactivate…
admin-user-deactivate-text = Someone who left the organisation should be deactivated: they can no longer sign in, and their tickets stay.
admin-user-reactivate = Reactivate
admin-user-reactivate-text = This user is deactivated and cannot sign in. Reactivating lets them sign in again with their password.
admin-user-reactivated = The user was reactivated and can sign in again.
admin-deactivate-title = Deactivate { $name }?
admin-deactivate-text = { $email } will no longer be able to sign in.
admin-deactivate-point-signout = They are signed out everywhere at once.
admin-deactivate-point-history = Their tickets, comments and history stay as they are.
admin-deactivate-point-undo = You can reactivate them later.
admin-deactivate-submit = Deactivate { $name }
admin-deactivate-already = This user is already deactivated.
admin-back-to-user = Back to the user

## API keys
admin-keys-title = API keys
admin-keys-intro = Monitoring agents and scripts use API keys instead of a person's password. Give each agent or script its own key, so you can revoke one without stopping the others.
admin-keys-new = Create an API key
admin-keys-none = There are no API keys yet.
admin-keys-col-starts = Starts with
admin-keys-col-scopes = What it may do
admin-keys-col-created = Created
admin-keys-col-used = Last used
admin-keys-never-used = Not used yet
admin-keys-in-use = Active
admin-keys-expired = Expired
admin-keys-revoked-at = Revoked { $when }
admin-keys-expires-at = until { $when }
admin-keys-revoke = Revoke
admin-keys-revoke-named = Revoke the key “{ $name }”
admin-keys-revoke-hint = Revoking takes effect at once: whatever uses the key is refused from then on. It cannot be undone; create a new key instead.
admin-keys-revoked = The key was revoked. It no longer works.
admin-keys-name-hint = Say where it is used, such as “Monitoring agent, Shanghai office”.
admin-keys-expires = Expires
admin-keys-expires-hint = The key works until the end of this day in your time zone. Leave it empty for a key that does not expire.
admin-keys-once-hint = The key is shown once, on the next page. Have the place where it will be kept ready.
admin-keys-create = Create key
admin-keys-error-name = Give the key a name.
admin-keys-error-scopes = Choose at least one thing the key may do.
admin-keys-error-expires = Choose a date in the future, or leave it empty.
admin-scope-events-write = Send monitoring events (alerts that become incidents).
admin-scope-tickets-read = Read the organisation's tickets.
admin-scope-tickets-write = Raise and update tickets.
admin-scope-other = Another permission.
admin-keys-created-title = Your new API key
admin-keys-once-warning = Copy the key now. It will not be shown again.
admin-keys-once-text = Only a fingerprint of the key is kept, so nobody can show it to you later, not even the service provider. If it is lost, revoke it and create a new one.
admin-keys-the-key = The key “{ $name }”
admin-keys-no-expiry = Does not expire
admin-keys-use-hint = Send it in the X-API-Key header of each request. Keep it like a password: in the agent's configuration, never in an email or a ticket.
admin-keys-done = I have copied the key

## Approvals
admin-approvals-title = Change approvals
admin-approvals-intro = Your IT service provider plans these changes to your systems. A normal change starts only after you approve it; an emergency change may already be under way and needs your decision afterwards.
admin-approvals-none = No change is waiting for your decision.
admin-approvals-window = Planned for
admin-approvals-no-window = No time planned yet
admin-approvals-raised = Requested
admin-approvals-description = Description
admin-approvals-plan = Plan
admin-approvals-backout = If it goes wrong (back-out plan)
admin-approvals-no-backout = No back-out plan given.
admin-approvals-emergency-hint = An emergency change goes ahead at once; your decision is recorded afterwards.
admin-approvals-comment = Comment or reason
admin-approvals-comment-hint = Optional when you approve; required when you reject, so the provider knows what to change.
admin-approvals-approve = Approve
admin-approvals-reject = Reject
admin-approvals-approved = { $reference } was approved.
admin-approvals-rejected = { $reference } was rejected. The provider has your reason.
admin-approvals-error-reason = Say why you reject the change.
admin-approvals-error-long = The comment is too long: at most 5000 characters.
admin-approvals-error-decision = Choose Approve or Reject.
admin-approvals-error-decided = { $reference } was already decided, or is no longer open.
admin-change-standard = Standard change
admin-change-normal = Normal change
admin-change-emergency = Emergency change
admin-risk-low = Low risk
admin-risk-medium = Medium risk
admin-risk-high = High risk

## Settings
admin-settings-title = Settings
admin-settings-version = Version { $version }
admin-settings-updated = last changed { $when }
admin-settings-general = General
admin-settings-timezone = Time zone
admin-settings-language = Language
admin-settings-display-name = Name shown
admin-settings-colour = Colour
admin-settings-logo = Logo
admin-settings-support-email = Support email
admin-settings-tax = Tax rate on invoices
admin-settings-security = Administrators' sign-in
admin-settings-totp-on = A code from an authenticator app is required
admin-settings-totp-off = Password only
admin-settings-unset = Not set
admin-settings-branding = Branding
admin-settings-other = Other settings
admin-settings-sections = Sections
admin-settings-next-holidays = Next holidays:
admin-section-categories = Ticket categories
admin-section-priorities = Priorities
admin-section-fields = Custom fields
admin-section-sites = Sites
admin-section-webhooks = Webhooks
admin-section-monitoring = Monitoring
admin-holds-categories = { $n } of { $all } categories in use
admin-holds-priorities = { $impacts } impact × { $urgencies } urgency levels
admin-holds-fields = { $n ->
    [0] No custom fields
    [one] One custom field
   *[other] { $n } custom fields
}
admin-holds-sites = { $n ->
    [0] No sites
    [one] One site
   *[other] { $n } sites
}
admin-holds-webhooks = { $n } of { $all } webhooks active
admin-holds-monitoring = { $rules } category rules, { $windows } maintenance windows
admin-holds-days = { $n ->
    [0] None
    [one] One day
   *[other] { $n } days
}
admin-history-title = History
admin-history-version = Version
admin-history-when = When
admin-history-who = Who
admin-history-what = What changed
admin-history-current = in force
admin-history-initial = The first configuration
admin-history-provider = Your IT service provider
admin-history-view = Read version { $version }
admin-history-older = Older versions
admin-history-newest = Newest versions
admin-version-title = Settings, version { $version }
admin-version-by = Saved by { $who }
admin-version-is-current = This is the version in force.
admin-version-old = This is an earlier version. Version { $current } is in force now.
admin-version-back = Back to the history

## Business calendar
admin-cal-title = Business calendar
admin-cal-intro = Outside these hours the SLA clock of tickets under business-hours coverage stands still. Times are in the time zone below.
admin-cal-zone-label = Your organisation's time zone
admin-cal-zone-hint = All times on these pages, reports and invoices are shown in it.
admin-cal-weekly = Weekly hours
admin-cal-weekly-hint = One or more intervals a day, such as 09:00 to 12:00 and 13:00 to 18:00. Leave a day empty when you are closed. To remove an interval, clear both times. Tick “ends the next day” for hours past midnight (or ending at midnight).
admin-cal-from = From
admin-cal-to = To
admin-cal-next-day = ends the next day
admin-cal-closed = Closed
admin-cal-holidays = Holidays
admin-cal-holidays-hint = Days you are closed. For a holiday of several days, give its last day too.
admin-cal-holiday-n = Holiday { $n }
admin-cal-holiday-from = Date
admin-cal-holiday-to = Last day
admin-cal-holiday-name = Name
admin-cal-remove = Remove
admin-cal-extra = Make-up working days
admin-cal-extra-hint = Days you work although they are normally closed, such as a weekend worked to make up for a holiday. They have Monday's hours: { $hours }.
admin-cal-extra-n = Working day { $n }
admin-cal-save = Save calendar
admin-cal-more = Add more rows
admin-cal-discard = Discard changes
admin-cal-saved = The calendar was saved as version { $version }.
admin-cal-moved = Someone changed the settings while you were editing. Your changes were not saved. Reload the page to see the current calendar, then make your changes again.
admin-cal-error-timezone = Choose a time zone from the list.
admin-cal-error-both-times = Give both the start and the end (or clear both to remove the interval).
admin-cal-error-time = Write times as HH:MM, such as 09:00.
admin-cal-error-same = The start and the end are the same. For a whole day, write 00:00 to 00:00 and tick “ends the next day”.
admin-cal-error-end-before-start = The end is before the start. If these hours run past midnight, tick “ends the next day”.
admin-cal-error-next-day-after-start = An interval that ends the next day must end earlier in the day than it starts (such as 22:00 to 06:00).
admin-cal-error-overlap = This interval overlaps another one of the same day.
admin-cal-error-runs-into = These hours run past midnight into the next day's first interval.
admin-cal-error-never-open = Give at least one interval: a calendar must be open some time of the week.
admin-cal-error-holiday-date = Give the holiday's date.
admin-cal-error-date = Write dates as YYYY-MM-DD, such as 2026-10-01.
admin-cal-error-holiday-order = The last day is before the first day.
admin-cal-error-holiday-span = A holiday row may cover at most 31 days; use several rows.
admin-cal-error-holiday-name = A name is one line of at most 100 characters.
admin-cal-error-date-twice = This date is already listed.
admin-cal-error-extra-is-holiday = This day is also a holiday. A day is either closed or worked.
admin-cal-error-extra-needs-monday = Make-up days have Monday's hours, and Monday has none. Give Monday its hours first.
admin-preview-title = What this means for due times
admin-preview-intro = When a ticket raised at these moments must be resolved, under your SLA ({ $tier }) and the saved calendar:
admin-preview-all-hours = Your SLA covers all hours (24×7), so the calendar does not move these due times.
admin-preview-raised = Raised
admin-preview-due = { $priority } resolved by
admin-preview-now = Now
admin-preview-friday = Friday evening, { $day } 17:30
admin-preview-eve = Eve of { $day }, 17:30
admin-preview-no-target = No target
admin-preview-no-contract = There is no service contract in force, so there are no due times to show.
admin-preview-unavailable = The due times cannot be shown right now. Try again in a moment.
