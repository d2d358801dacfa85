"""Two-factor authentication (django-otp) for IPA staff (issue 11)."""


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
