"""Registration questions: what organisers ask delegates when they register (dietary and
access needs, consent to terms, anything else), the answers, and their summaries."""
