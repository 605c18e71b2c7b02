"""The Dutch web pages, served by the API's own app: sign-in with the school's account, the
pages for committee, quality officer, assessor, coach, inspector and student, and the forms.

Every page asks the same application and query functions as the API route that serves the same
data, so the access policy (`domain.policy`) is applied once; what a caller may not see answers
the same 404 page as what does not exist. The routes are in `api.web.routes`.
"""
