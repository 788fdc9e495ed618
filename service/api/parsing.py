"""How requests are read: the Blueprint every API module uses (flask-smorest's, with JSON nested too deeply
reported as invalid) and the `id` URL converter every route with a row's id uses, API and desk alike."""
from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from flask_smorest.spec.plugins import integerconverter2paramschema
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from service.storage.models import MAX_ID


class ArgumentsParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # json.loads gives up on deep nesting with RecursionError, which would otherwise be a 500.
            return self._handle_invalid_json_error(json.JSONDecodeError("nested too deeply", "", 0), req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()


class IdConverter(IntegerConverter):
    """`<id:article_id>`: a row's id, 1 to MAX_ID. A larger number names no row, so the URL matches no
    route and is a 404, instead of an integer PostgreSQL refuses as a parameter."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def register_id_converter(app: flask.Flask, api: flask_smorest.Api) -> None:
    """Before any route is added: the desk's routes use it too, and the API documents it as an integer."""
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, integerconverter2paramschema)
