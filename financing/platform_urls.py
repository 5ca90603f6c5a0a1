"""The 政银企 platform's pages, in the financing namespace."""

urlpatterns = []
