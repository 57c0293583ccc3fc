"""HTTP glue shared by every capability: rendering, forms, auth, errors, i18n. No domain rules."""
