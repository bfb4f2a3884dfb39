"""Links on the organiser screens. A link shows only once its view exists."""

# (endpoint, label, key) in the organiser menu.
NAV = [
    ("organiser.speakers", "Speakers", "speakers"),
    ("organiser.benchmark_overview", "Benchmark", "benchmark"),
    ("outcomes.dashboard", "Outcomes", "outcomes"),
    ("api_tokens.tokens", "API tokens", "api"),
    ("organiser.businesses_list", "Businesses", "businesses"),
    ("webhooks.endpoints", "Webhooks", "webhooks"),
]

# (endpoint taking event_id, label) on an event's overview page.
EVENT_LINKS = [
    ("organiser.agenda_builder", "Agenda builder"),
    ("organiser.registrations", "Registrations"),
    ("imports.start", "Import delegates"),
    ("organiser.questions", "Registration questions"),
    ("organiser.messages", "Email delegates"),
    ("organiser.event_emails", "Emails"),
    ("organiser.door_staff", "Door staff"),
    ("organiser.event_badges", "Name badges"),
    ("organiser.checkin_live", "Live check-in"),
    ("organiser.attendance_report", "Attendance report"),
    ("organiser.event_feedback", "Feedback"),
    ("organiser.revenue", "Revenue"),
]
