# The tenant admin's monthly IT service report and invoices (area `fin`). Every key here is
# also in zh-CN/fin.ftl (a unit test checks it).

## Months
fin-month-1 = January
fin-month-2 = February
fin-month-3 = March
fin-month-4 = April
fin-month-5 = May
fin-month-6 = June
fin-month-7 = July
fin-month-8 = August
fin-month-9 = September
fin-month-10 = October
fin-month-11 = November
fin-month-12 = December
fin-month-label = { $month } { $year }
fin-percent = { $value }%
fin-rating = { $value } / 5

## Report
fin-reports-title = Monthly IT service report
fin-report-heading = IT service report: { $month }
fin-report-zone = Each month runs from midnight to midnight in { $zone }.
fin-report-generated = Figures as of { $at }.
fin-period-legend = Choose a month
fin-period-label = Month
fin-period-show = Show report
fin-prev-month = Previous month: { $month }
fin-next-month = Next month: { $month }
fin-downloads = Download this report
fin-download-csv = CSV (spreadsheet)
fin-download-json = JSON (data)
fin-see-invoices = Invoices
fin-section-summary = At a glance
fin-kpi-tickets = Tickets raised
fin-kpi-failures = Failures
fin-kpi-per-seats = { $n } per 100 seats
fin-kpi-sla = SLA compliance
fin-kpi-breaches = { $n ->
    [one] 1 breach
   *[other] { $n } breaches
}
fin-kpi-arrive = Average time to arrive on site
fin-kpi-resolve = Average time to resolve
fin-kpi-complaints = Complaint rate
fin-kpi-complaint-count = { $n ->
    [one] 1 complaint
   *[other] { $n } complaints
}
fin-kpi-availability = Availability
fin-not-measured = not measured
fin-empty-month = No tickets were raised, resolved or left open this month.
fin-section-failures = Failures by category
fin-chart-categories = Failures (incidents) by category
fin-col-category = Category
fin-cat-network = Network
fin-cat-virus_security = Virus / security
fin-cat-software = Software
fin-cat-hardware = Hardware
fin-cat-other = Other
fin-section-types = Tickets by type
fin-col-type = Type
fin-col-count = Tickets
fin-type-incident = Incidents
fin-type-service_request = Service requests
fin-type-problem = Problems
fin-type-change = Changes
fin-section-sla = SLA compliance by target and priority
fin-chart-sla = SLA targets met, by priority
fin-col-target = Target
fin-col-priority = Priority
fin-col-tickets = Tickets
fin-col-met = Met
fin-col-breached = Breached
fin-col-compliance = Compliance
fin-no-sla = No ticket of this month had an SLA clock.
fin-section-resolution = Resolution and on-site work
fin-resolved = Resolved
fin-resolved-remotely = Resolved remotely
fin-resolved-on-site = Resolved on site
fin-onsite-visits = On-site visits
fin-avg-on-site = Average time on site
fin-backlog = Still open at month end
fin-section-satisfaction = Satisfaction
fin-feedback-responses = Feedback received
fin-satisfaction = Average rating
fin-complaints = Complaints
fin-section-trend = This month beside earlier months
fin-chart-trend = Failures and resolved tickets by month
fin-col-month = Month
fin-col-sla = SLA compliance
fin-col-complaint-rate = Complaint rate
fin-section-credits = Service credits
fin-credits-earned = { $n ->
    [one] The month's SLA breaches earned one credit
   *[other] The month's SLA breaches earned { $n } credits
}, { $amount } in all.
fin-no-credits = No SLA credit for this month (none earned, or the month is not invoiced yet).
fin-chart-as-table = The same figures as a table
fin-bad-period-title = No such month
fin-bad-period-text = “{ $period }” is not a month. Months are written as year and month, for example { $example }.
fin-not-ended-title = { $month } has not ended yet
fin-not-ended-text = A month's report is ready once the month is over in your time zone ({ $zone }). The latest report is for { $latest }.
fin-latest-report = Go to the latest report

## Invoices
fin-invoices-title = Invoices
fin-invoices-intro = Your monthly invoices, newest first. Each one shows its SLA credits and the breaches behind them.
fin-no-invoices = There are no invoices yet.
fin-see-reports = Monthly IT service reports
fin-col-number = Invoice
fin-col-period = Period
fin-col-status = Status
fin-col-total = Total
fin-col-credits = SLA credits
fin-col-issued = Issued
fin-col-due = Due
fin-status-draft = Draft
fin-status-issued = Issued
fin-status-paid = Paid
fin-status-overdue = Overdue
fin-status-payment_failed = Payment failed
fin-status-void = Void
fin-status-other = Other
fin-invoice-title = Invoice { $number }
fin-back-invoices = All invoices
fin-download-invoice-csv = Download as CSV
fin-paid-at = Paid
fin-payment-ref = Payment reference
fin-section-lines = Lines
fin-col-line = Line
fin-col-item = Item
fin-col-description = Description
fin-col-quantity = Quantity
fin-col-unit = Unit price
fin-col-amount = Amount
fin-kind-subscription = Subscription
fin-kind-extra_work = Extra work
fin-kind-credit = SLA credit
fin-kind-other = Other
fin-line-prorated = { $days } of { $of } days (the whole month: { $monthly })
fin-line-whole-month = the whole month: { $monthly }
fin-line-extra = { $minutes } min at { $rate } an hour
fin-line-credit = { $count ->
    [one] 1 breach
   *[other] { $count } breaches
}
fin-see-credit = how it was worked out
fin-subtotal = Subtotal
fin-tax = Tax ({ $rate })
fin-credit-notes = Credit notes
fin-section-notes = Credit notes issued since
fin-section-credit-explained = SLA credits explained
fin-credits-intro = Your service tier's credit policy credits a share of the contract's monthly fee for each missed target, up to a cap for the month. Here is each credit, the rule it follows and the breaches it comes from.
fin-credit-heading = SLA credit for { $period }
fin-credit-late-heading = SLA credit for { $period }, for breaches recorded after it was invoiced
fin-monthly-fee = Monthly fee
fin-cap = Credit cap
fin-credited-before = Credited before for the month
fin-rule-breaches = { $priority } { $metric } target missed { $count ->
    [one] once
   *[other] { $count } times
}: { $rate } of the monthly fee of { $fee } for each breach ({ $bp } bp).
fin-rule-availability = Availability below the agreed level: { $rate } of the monthly fee of { $fee } ({ $bp } bp).
fin-rule-cap = Credits for a month are capped at { $rate } of the monthly fee ({ $cap }, { $bp } bp); what is above the cap is taken back.
fin-breaches-caption = The breaches behind this rule
fin-col-ticket = Ticket
fin-col-breached-at = Breached at (due time)
fin-col-met-at = Met at
fin-col-late = Late by
fin-not-met = not met
