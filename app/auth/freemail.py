"""Free-mail domains: anyone can have an address there, so such a domain proves nothing about
which business a person works for. Kept in one place; a business can never verify one."""

FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "aol.co.uk", "btinternet.com", "btopenworld.com", "fastmail.com",
        "gmail.com", "gmx.com", "gmx.co.uk", "googlemail.com", "hotmail.com", "hotmail.co.uk",
        "icloud.com", "live.com", "live.co.uk", "mac.com", "mail.com", "me.com", "msn.com",
        "ntlworld.com", "outlook.com", "outlook.co.uk", "pm.me", "proton.me", "protonmail.com",
        "protonmail.ch", "sky.com", "talktalk.net", "tiscali.co.uk", "virginmedia.com",
        "yahoo.com", "yahoo.co.uk", "ymail.com", "zoho.com",
    }
)  # fmt: skip


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def is_free_mail(domain: str) -> bool:
    domain = domain.strip().lower().rstrip(".")
    return domain in FREE_MAIL_DOMAINS or any(domain.endswith("." + d) for d in FREE_MAIL_DOMAINS)
