"""marshmallow schemas: input (*CreateSchema, *QueryArgsSchema) kept apart from output schemas."""
