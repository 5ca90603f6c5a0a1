"""What every app's API stands on: permissions, pagination, errors, viewset bases, fields, exports."""
