"""The cascade as a spreadsheet: export (XLSX, CSV) and import."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.api import CompanyScopedMixin
from companies.permissions import Action
from core.safety import attachment_header

from ...services import cascade_io
from .common import CYCLE_PARAM, _cycle_from_body, _cycle_from_query, _validated


class CascadeExportAPI(CompanyScopedMixin, APIView):
    """The cycle's cascade as a spreadsheet: a row per objective and key result with its path in the tree."""

    required_actions = {"get": Action.CASCADE_VIEW}
    file_format = "xlsx"

    @extend_schema(
        parameters=[CYCLE_PARAM],
        responses={(200, "application/octet-stream"): OpenApiResponse(response=OpenApiTypes.BINARY)},
    )
    def get(self, request, company_slug: str):
        cycle = _cycle_from_query(request, self.company)
        filename = cascade_io.export_filename(cycle=cycle, extension=self.file_format)
        if self.file_format == "csv":
            body = cascade_io.cascade_export_csv(company=self.company, cycle=cycle)
            response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                cascade_io.cascade_export_xlsx(company=self.company, cycle=cycle), content_type=cascade_io.XLSX_TYPE
            )
        response["Content-Disposition"] = attachment_header(filename)
        return response


class CascadeExportCsvAPI(CascadeExportAPI):
    file_format = "csv"


class CascadeImportSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    file = serializers.FileField(help_text=_("An .xlsx or .csv file in the export format."))


class CascadeImportAPI(CompanyScopedMixin, APIView):
    """Import objectives and key results (export format) into a cycle in planning. Every row is validated first;
    on any error nothing is created and the answer lists "row N, column X: reason"."""

    required_actions = {"post": Action.CASCADE_EDIT}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": CascadeImportSerializer},
        responses={
            201: inline_serializer(
                "CascadeImportResult",
                {
                    "objectives": serializers.IntegerField(),
                    "key_results": serializers.IntegerField(),
                    "teams_created": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def post(self, request, company_slug: str):
        data = _validated(CascadeImportSerializer, request.data)
        cycle = _cycle_from_body(self.company, data["cycle"])
        upload = data["file"]
        result = cascade_io.cascade_import(
            company=self.company, cycle=cycle, file=upload, filename=upload.name, actor=request.user
        )
        return Response(
            {"objectives": result.objectives, "key_results": result.key_results, "teams_created": result.teams_created},
            status=status.HTTP_201_CREATED,
        )
