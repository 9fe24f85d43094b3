"""HTML pages of "Download your data" (posts/services/export.py): the page that starts an
export and shows its progress, its progress fragment, and the download (its owner only)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.errors import ApplicationError
from core.http import wants_fragment
from posts.selectors import export_get, export_latest_for
from posts.services.export import export_download_name, export_start

STATUS_TEMPLATE = "posts/_export_status.html"


class ExportView(LoginRequiredMixin, View):
    """`/settings/export/`: the newest export with its progress bar (live with JavaScript,
    reloaded every few seconds without it), its download link when ready, until when it
    works; POST starts a new one. Asked with `X-Fragment: 1`, the status card alone."""

    def get(self, request):
        context = {
            "export": export_latest_for(user=request.user),
            "link_days": settings.EXPORT_LINK_DAYS,
        }
        template = STATUS_TEMPLATE if wants_fragment(request) else "posts/export.html"
        response = render(request, template, context)
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request):
        try:
            export_start(user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your export has started. We will email you a link when it is ready."),
            )
        return redirect("posts:export")


class ExportDownloadView(LoginRequiredMixin, View):
    """`/settings/export/<id>/download/`: the zip, for its owner only (404 for anyone else),
    while its link works; 410 with a way to ask for a new one after that."""

    def get(self, request, export_id: int):
        export = export_get(user=request.user, export_id=export_id)
        if export.is_expired:
            return render(request, "posts/export_expired.html", {"export": export}, status=410)
        if not export.is_ready:
            raise Http404(_("This export is not ready yet."))
        try:
            file = storages["private"].open(export.file.name, "rb")
        except FileNotFoundError:  # deleted by the sweep a moment ago
            return render(request, "posts/export_expired.html", {"export": export}, status=410)
        response = FileResponse(
            file,
            as_attachment=True,
            filename=export_download_name(export),
            content_type="application/zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response
