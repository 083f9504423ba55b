# The tenant admin's settings pages (virtual configuration). Every key here is also in
# zh-CN/cfg.ftl (a unit test checks it).

## Around every section
cfg-nav-label = Settings sections
cfg-nav-overview = Overview
cfg-nav-calendar = Business calendar
cfg-save = Save changes
cfg-saved = Saved. The change is in force now and kept in the settings' history.
cfg-check-fields = Nothing was saved: check the fields marked below.
cfg-stale = Nothing was saved: these settings were changed by someone else since you opened this page. Reload the page to see the current settings, then make your change again.
cfg-reload = Reload the page
cfg-conflict = Nothing was saved: the change conflicts with the current settings.
cfg-read-only = Nothing was saved: the account is suspended, so its settings can be read but not changed.
cfg-remove = Remove
cfg-all = All
cfg-list-separator = {", "}
cfg-error-whole-number = Enter a whole number.
cfg-error-number = Enter a number, such as 31.2304.
cfg-error-choose = Choose one of the options offered.
cfg-error-both = Choose both the impact and the urgency, or neither.
cfg-error-local-time = Enter a date and a time, such as 2026-12-05 22:00.

## Categories
cfg-categories-title = Ticket categories
cfg-categories-intro = The categories people choose when they raise a ticket, also used for the failure statistics of the monthly report. A category's key never changes; retire a category to stop offering it, and its tickets keep it.
cfg-col-key = Key
cfg-col-name = Name
cfg-col-offered = Status
cfg-offered = Offered for new tickets
cfg-retired = Retired
cfg-name-of = Name of { $key }
cfg-new-category-key = Key of a new category
cfg-new-category-name = Name of the new category
cfg-categories-add-hint = To add a category, fill in the last row: a key of lower-case letters, digits, _ or - (such as printers) and a name.

## Priority matrix
cfg-priorities-title = Priority matrix
cfg-priorities-intro = A ticket's priority follows from its impact and its urgency. The priority sets the SLA targets that apply.
cfg-matrix-caption = Priority for each impact and urgency
cfg-axis-impact = Impact
cfg-axis-urgency = Urgency
cfg-cell-label = Impact { $impact }, urgency { $urgency }
cfg-priorities-hint = The change applies to tickets raised from now on; tickets already open keep their priority.
cfg-level-critical = critical
cfg-level-high = high
cfg-level-medium = medium
cfg-level-low = low
cfg-priority-p1 = P1 · critical
cfg-priority-p2 = P2 · high
cfg-priority-p3 = P3 · medium
cfg-priority-p4 = P4 · low

## Custom fields
cfg-fields-title = Custom fields
cfg-fields-intro = Extra fields on your tickets, such as an asset tag or a cost centre. A field's key is set when it is added and stays, because tickets keep their values under it.
cfg-fields-none = No custom fields yet.
cfg-fields-new = Add a field
cfg-col-label = Label
cfg-col-kind = Kind
cfg-col-required = Required when a ticket is raised
cfg-col-options = Options
cfg-options-hint = (for a choice: one option a line)
cfg-col-applies-to = Ticket types
cfg-applies-to-hint = None ticked: the field applies to every type of ticket.
cfg-remove-field = Remove this field
cfg-kind-text = Text
cfg-kind-number = Number
cfg-kind-boolean = Yes / no
cfg-kind-date = Date
cfg-kind-select = Choice of one
cfg-kind-multiselect = Choice of several
cfg-ticket-kind-incident = Incident
cfg-ticket-kind-service_request = Service request
cfg-ticket-kind-problem = Problem
cfg-ticket-kind-change = Change

## Sites
cfg-sites-title = Sites
cfg-sites-intro = Your locations, where engineers come for on-site work. The region decides which engineers are sent.
cfg-sites-none = No sites yet.
cfg-sites-new = Add a site
cfg-col-address = Address
cfg-col-region = Dispatch region
cfg-col-contact = Contact on site
cfg-col-latitude = Latitude
cfg-col-longitude = Longitude
cfg-remove-site = Remove this site
cfg-sites-hint = The region is a lower-case word such as shanghai-pudong. Give both coordinates or neither; they help plan engineers' rounds.

## Webhooks
cfg-webhooks-title = Webhooks
cfg-webhooks-intro = Canopy sends the events you choose to your own systems over HTTP, signed with the webhook's secret (HMAC-SHA256, header Canopy-Signature).
cfg-webhooks-none = No webhooks yet.
cfg-webhooks-new = Add a webhook
cfg-col-url = URL
cfg-col-secret = Signing secret
cfg-secret-new = At least 16 characters. It is shown only while you type it: keep a copy in the receiving system.
cfg-secret-kept = The current secret ends in { $hint }. Leave this empty to keep it, or type a new one to replace it.
cfg-secret-keep = Leave this empty to keep the current secret, or type a new one to replace it.
cfg-col-events = Events
cfg-col-active = Active
cfg-remove-webhook = Remove this webhook
cfg-deliveries-link = Delivery log
cfg-event-all = All events
cfg-event-kb-article_published = Knowledge article published
cfg-event-ticket-created = Ticket raised
cfg-event-ticket-updated = Ticket updated
cfg-event-ticket-assigned = Ticket assigned
cfg-event-ticket-resolved = Ticket resolved
cfg-event-ticket-closed = Ticket closed
cfg-event-sla-warning = SLA warning
cfg-event-sla-breached = SLA breached
cfg-event-invoice-issued = Invoice issued
cfg-event-report-ready = Monthly report ready

## Delivery log
cfg-deliveries-title = Webhook delivery log
cfg-deliveries-none = Nothing has been sent to this webhook yet.
cfg-deliveries-older = Older deliveries
cfg-inactive = Inactive
cfg-col-when = When
cfg-col-event = Event
cfg-col-status = Status
cfg-col-attempts = Attempts
cfg-col-response = Response
cfg-col-last-attempt = Last attempt
cfg-delivery-pending = Waiting to be sent
cfg-delivery-retrying = Failed, will be retried
cfg-delivery-delivered = Delivered
cfg-delivery-failed = Failed
cfg-next-attempt = next attempt { $at }

## Monitoring
cfg-monitoring-title = Monitoring rules
cfg-monitoring-intro = How the events of your monitoring agents become incidents, and when they are silenced for maintenance.
cfg-rules-title = Rules
cfg-window-mins = Correlation window (minutes)
cfg-open-at = Open an incident from severity
cfg-flap-threshold = Flapping: recoveries
cfg-flap-window-mins = Flapping: within (minutes)
cfg-auto-resolve = A recovery resolves the incident
cfg-flap-hint = Events of one host and check within the window are one alert. An alert that recovers more often than the number given within the time given is flapping: its incident stays open until it settles.
cfg-iu-title = Impact and urgency by severity
cfg-iu-hint = Leave a severity on “From the matrix” to take its impact and urgency from the order of the priority matrix.
cfg-col-severity = Severity
cfg-impact-of = Impact for { $severity }
cfg-urgency-of = Urgency for { $severity }
cfg-from-matrix = From the matrix
cfg-severity-critical = Critical
cfg-severity-error = Error
cfg-severity-warning = Warning
cfg-severity-info = Information
cfg-mapping-title = Check → category
cfg-mapping-hint = A check whose name contains the text goes to that category; the first match wins. Checks no rule matches are sorted by built-in words (ping, disk, antivirus…).
cfg-col-contains = Check name contains
cfg-col-category = Category
cfg-col-remove = Remove
cfg-contains-of = Text of rule { $n }
cfg-new-mapping = Text of a new rule
cfg-save-rules = Save the rules

## Maintenance windows
cfg-maintenance-title = Maintenance windows
cfg-maintenance-intro = Events from the hosts and checks a window covers are silenced while it lasts. Times are in your time zone ({ $zone }).
cfg-maintenance-none = No maintenance windows.
cfg-maintenance-new = Add a maintenance window
cfg-col-hosts = Hosts
cfg-col-checks = Checks
cfg-remove-window = Remove { $name }
cfg-over = Over
cfg-window-kind = Happens
cfg-window-once = Once
cfg-window-weekly = Every week
cfg-starts-at = Starts (once)
cfg-ends-at = Ends (once)
cfg-weekly-days = Days (every week)
cfg-weekly-from = From (every week)
cfg-weekly-to = To (every week)
cfg-weekly-when = { $days }, { $from }–{ $to }
cfg-window-hint = A weekly window whose end is before its start runs past midnight.
cfg-patterns-hint = Separate names with commas; * stands for any characters (fs*). Leave empty to cover every host or every check.
cfg-save-maintenance = Save the maintenance windows
cfg-day-mon = Mon
cfg-day-tue = Tue
cfg-day-wed = Wed
cfg-day-thu = Thu
cfg-day-fri = Fri
cfg-day-sat = Sat
cfg-day-sun = Sun
